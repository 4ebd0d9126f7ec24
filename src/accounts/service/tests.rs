use super::*;
use crate::accounts::testing::TempDir;
use crossbeam_channel::Receiver;

const WAIT: Duration = Duration::from_secs(20);

fn start(dir: &TempDir, hashers: usize, queue: usize) -> (Service, Receiver<Report>) {
    let store = Store::open(&dir.0).unwrap();
    let seen = store.data_version().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let service = Service::start(
        store,
        Some(seen),
        hashers,
        queue,
        Box::new(move |report| {
            let _ = tx.send(report);
        }),
    )
    .unwrap();
    (service, rx)
}

/// The next report that is not a `Reloaded` or `Failed`.
fn answer(reports: &Receiver<Report>) -> Report {
    loop {
        match reports.recv_timeout(WAIT).expect("a report") {
            Report::Reloaded(_) => continue,
            Report::Failed { what, error } => panic!("{what}: {error}"),
            other => return other,
        }
    }
}

#[test]
fn create_verify_change_and_delete_an_account() {
    let dir = TempDir::new("service");
    let (service, reports) = start(&dir, 1, 8);
    service.submit(1, Job::Create { name: "Alice".into(), password: "first password".into(), now_ms: 42 }).unwrap();
    let Report::Created { ticket: 1, result: Ok(record) } = answer(&reports) else { panic!() };
    assert_eq!((record.name.as_str(), record.created, record.disabled), ("Alice", 42, false));
    assert!(record.phc.starts_with("$argon2id$"));

    service.submit(2, Job::Verify { phc: record.phc.clone(), password: "first password".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Verified { ticket: 2, ok: true });
    service.submit(3, Job::Verify { phc: record.phc.clone(), password: "wrong".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Verified { ticket: 3, ok: false });
    service.submit(4, Job::Verify { phc: "garbage".into(), password: "x".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Verified { ticket: 4, ok: false });

    service.submit(5, Job::Create { name: "alice".into(), password: "another one".into(), now_ms: 43 }).unwrap();
    assert_eq!(answer(&reports), Report::Created { ticket: 5, result: Err(CreateError::Exists) });

    service.submit(6, Job::SetPassword { name: "ALICE".into(), password: "second password".into() }).unwrap();
    let Report::PasswordSet { ticket: 6, result: Ok(changed) } = answer(&reports) else { panic!() };
    assert!(hash::verify(&changed.phc, "second password") && !hash::verify(&changed.phc, "first password"));
    service.submit(7, Job::SetPassword { name: "nobody".into(), password: "whatever1".into() }).unwrap();
    assert_eq!(answer(&reports), Report::PasswordSet { ticket: 7, result: Err("no account is named nobody".into()) });

    service.submit(8, Job::Delete { name: "alice".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Deleted { ticket: 8, result: Ok(()) });
    service.submit(9, Job::Delete { name: "alice".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Deleted { ticket: 9, result: Err("no account is named alice".into()) });
    service.stop();
    assert!(Store::open(&dir.0).unwrap().load_all().unwrap().is_empty());
}

#[test]
fn a_full_queue_answers_busy_at_once_and_every_accepted_job_is_answered() {
    let dir = TempDir::new("busy");
    let (service, reports) = start(&dir, 1, 1);
    let phc = hash::hash("password").unwrap();
    let mut accepted = Vec::new();
    let mut busy = 0;
    for ticket in 0..6 {
        let started = Instant::now();
        match service.submit(ticket, Job::Verify { phc: phc.clone(), password: "password".into() }) {
            Ok(()) => accepted.push(ticket),
            Err(Busy) => busy += 1,
        }
        assert!(started.elapsed() < Duration::from_millis(100), "submit must not wait");
    }
    assert!(busy >= 1 && accepted.len() <= 2, "busy {busy}, accepted {accepted:?}");
    let mut answered: Vec<u64> = (0..accepted.len())
        .map(|_| match answer(&reports) {
            Report::Verified { ticket, ok: true } => ticket,
            other => panic!("{other:?}"),
        })
        .collect();
    answered.sort();
    assert_eq!(answered, accepted);
}

#[test]
fn changes_by_another_process_are_reported_whole() {
    let dir = TempDir::new("reload");
    let (service, reports) = start(&dir, 1, 4);
    let operator = Store::open(&dir.0).unwrap();
    operator.create("bob", "phc", 7).unwrap();
    operator.set_disabled("bob", true).unwrap();
    let deadline = Instant::now() + WAIT;
    let reloaded = loop {
        match reports.recv_deadline(deadline).expect("a reload") {
            Report::Reloaded(records) if records.iter().any(|r| r.disabled) => break records,
            _ => continue,
        }
    };
    assert_eq!(reloaded, vec![Record { name: "bob".into(), phc: "phc".into(), created: 7, disabled: true }]);
    // Its own commits are not news.
    service.submit(1, Job::Delete { name: "bob".into() }).unwrap();
    assert_eq!(answer(&reports), Report::Deleted { ticket: 1, result: Ok(()) });
    let quiet = reports.recv_timeout(POLL_INTERVAL * 3);
    assert!(!matches!(quiet, Ok(Report::Reloaded(_))), "{quiet:?}");
    drop(service);
}

#[test]
fn the_threads_stop_when_the_service_is_dropped() {
    let dir = TempDir::new("drop");
    let (service, reports) = start(&dir, 2, 4);
    drop(service);
    // Every thread held a clone of the report callback's sender; all are gone once they exit.
    let deadline = Instant::now() + WAIT;
    loop {
        match reports.recv_deadline(deadline) {
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => panic!("threads still running"),
            Ok(_) => continue,
        }
    }
}

#[test]
fn debug_of_a_job_hides_the_password() {
    for job in [
        Job::Verify { phc: "p".into(), password: "hunter22".into() },
        Job::Create { name: "a".into(), password: "hunter22".into(), now_ms: 0 },
        Job::SetPassword { name: "a".into(), password: "hunter22".into() },
    ] {
        assert!(!format!("{job:?}").contains("hunter22"));
    }
}
