use super::super::testing::*;
use super::*;
use crate::protocol::AccountCommand;

fn add_account(s: &mut State, name: &str) {
    let entry = AccountEntry { name: Arc::from(name), created: 0, disabled: false };
    s.account_added(entry, 0, &mut Output::default());
}

/// The one job `out` asks for, with `id`.
fn only_job(out: &Output, id: u64) -> Work {
    assert_eq!(out.jobs.len(), 1, "{:?}", out.jobs);
    assert_eq!(out.jobs[0].id, ClientId(id));
    out.jobs[0].work.clone()
}

fn finish(s: &mut State, id: u64, work: Work, result: Result<(), AccountFailure>) -> Output {
    let mut out = Output::default();
    s.job_done(ClientId(id), work, result, 1_000, &mut out);
    out
}

fn account(command: AccountCommand) -> Command {
    Command::Account(command)
}

fn identify(name: Option<&str>, password: &str, via: LoginVia) -> Command {
    account(AccountCommand::Identify { name: name.map(str::to_string), password: password.into(), via })
}

/// A profile like the XMLSocket session's.
fn xml_client() -> Profile {
    Profile {
        dialect: "xml",
        prompted: false,
        starts_in_default_room: false,
        needs_user: false,
        strict_before_registration: true,
        hears_every_membership_change: false,
        replay_on_join: false,
        pinged: false,
        registers_by_login: true,
        hears_presence: true,
        ..person()
    }
}

#[test]
fn a_registered_nickname_at_the_prompt_asks_for_its_password_three_times() {
    let mut s = state();
    add_account(&mut s, "alice");
    s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
    let out = run(&mut s, 1, say("Alice"));
    assert_eq!(
        replies_to(&out, 1),
        vec![&Reply::Account(AccountReply::PasswordPrompt { nick: Nick::parse("alice").unwrap(), tries_left: 3 })]
    );
    assert!(!s.is_registered(ClientId(1)));
    for left in [2, 1] {
        let out = run(&mut s, 1, say("wrong password"));
        let work = only_job(&out, 1);
        assert!(
            matches!(&work, Work::Verify { account, password, .. } if &**account == "alice" && password == "wrong password")
        );
        // A line typed while the password is being checked is not another try.
        assert!(run(&mut s, 1, say("again")).jobs.is_empty());
        let out = finish(&mut s, 1, work, Err(AccountFailure::WrongPassword));
        let replies = replies_to(&out, 1);
        assert!(matches!(
            replies[0],
            Reply::Account(AccountReply::Failed { failure: AccountFailure::WrongPassword, .. })
        ));
        assert!(
            matches!(replies[1], Reply::Account(AccountReply::PasswordPrompt { tries_left, .. }) if *tries_left == left)
        );
        assert!(out.audit.iter().any(|a| matches!(a, Audit::LoginFailed { .. })));
    }
    let work = only_job(&run(&mut s, 1, say("still wrong")), 1);
    let out = finish(&mut s, 1, work, Err(AccountFailure::WrongPassword));
    assert_eq!(replies_to(&out, 1).last(), Some(&&Reply::NickPrompt { reminder: false }), "back to the prompt");
    // The next line is a nickname choice again.
    let out = run(&mut s, 1, say("bob"));
    assert!(s.is_registered(ClientId(1)));
    assert!(matches!(replies_to(&out, 1)[0], Reply::Welcome { .. }));
}

#[test]
fn the_right_password_at_the_prompt_registers_and_logs_in() {
    let mut s = state();
    add_account(&mut s, "alice");
    s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
    run(&mut s, 1, say("alice"));
    let work = only_job(&run(&mut s, 1, say("correct horse")), 1);
    let out = finish(&mut s, 1, work, Ok(()));
    assert!(s.is_registered(ClientId(1)));
    assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alice");
    let replies = replies_to(&out, 1);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::Account(AccountReply::LoggedIn { account, .. }) if &**account == "alice"))
    );
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::Welcome { person, .. } if person.account.as_deref() == Some("alice")))
    );
}

#[test]
fn a_slash_command_leaves_the_password_prompt() {
    let mut s = state();
    add_account(&mut s, "alice");
    s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
    run(&mut s, 1, say("alice"));
    let out = run(&mut s, 1, Command::Nick { nick: "carol".into() });
    assert!(out.jobs.is_empty());
    assert!(s.is_registered(ClientId(1)));
}

#[test]
fn a_registered_person_renaming_to_an_owned_nick_is_asked_for_its_password() {
    let mut s = state();
    add_account(&mut s, "alice");
    registered(&mut s, 1, "bob");
    let out = run(&mut s, 1, Command::Nick { nick: "alice".into() });
    assert!(matches!(replies_to(&out, 1)[0], Reply::Account(AccountReply::PasswordPrompt { .. })));
    let work = only_job(&run(&mut s, 1, say("pw")), 1);
    finish(&mut s, 1, work, Ok(()));
    assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alice");
    // A message afterwards is a message again.
    let out = run(&mut s, 1, say("hello"));
    assert!(out.jobs.is_empty());
}

#[test]
fn an_irc_client_may_hold_an_owned_nick_until_its_grace_runs_out() {
    let mut s = state();
    add_account(&mut s, "alice");
    let mut out = Output::default();
    s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut out);
    run(&mut s, 1, Command::Nick { nick: "alice".into() });
    let out = run(&mut s, 1, Command::User { user: "a".into(), realname: "A".into() });
    assert!(s.is_registered(ClientId(1)));
    assert!(
        replies_to(&out, 1).iter().any(|r| matches!(r, Reply::Account(AccountReply::NickOwned { grace_secs: 60, .. })))
    );
    let mut out = Output::default();
    s.rename_unidentified(59_000, &mut out);
    assert!(out.deliveries.is_empty());
    s.rename_unidentified(60_000, &mut out);
    let nick = s.nick(ClientId(1)).unwrap().to_string();
    assert!(nick.starts_with("Guest"), "{nick}");
    assert!(replies_to(&out, 1).iter().any(|r| matches!(r, Reply::Account(AccountReply::Renamed { .. }))));
    assert!(replies_to(&out, 1).iter().any(|r| matches!(r, Reply::NickChanged { you: true, .. })));
}

#[test]
fn identifying_in_time_keeps_the_nick() {
    let mut s = state();
    add_account(&mut s, "alice");
    irc_registered(&mut s, 1, "alice");
    let work = only_job(&run(&mut s, 1, identify(None, "pw", LoginVia::Command)), 1);
    finish(&mut s, 1, work, Ok(()));
    let mut out = Output::default();
    s.rename_unidentified(120_000, &mut out);
    assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alice");
}

#[test]
fn sasl_before_registration_logs_in_and_the_welcome_carries_the_account() {
    let mut s = state();
    add_account(&mut s, "alice");
    s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut Output::default());
    run(&mut s, 1, Command::Nick { nick: "alice".into() });
    let work = only_job(&run(&mut s, 1, identify(Some("alice"), "pw", LoginVia::Sasl)), 1);
    let out = finish(&mut s, 1, work, Ok(()));
    assert!(matches!(replies_to(&out, 1)[0], Reply::Account(AccountReply::LoggedIn { via: LoginVia::Sasl, .. })));
    let out = run(&mut s, 1, Command::User { user: "a".into(), realname: "A".into() });
    let replies = replies_to(&out, 1);
    assert!(matches!(replies[0], Reply::Welcome { person, .. } if person.account.as_deref() == Some("alice")));
    assert!(!replies.iter().any(|r| matches!(r, Reply::Account(AccountReply::NickOwned { .. }))));
    // A second exchange: already logged in (907).
    let out = run(&mut s, 1, identify(Some("alice"), "pw", LoginVia::Sasl));
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::AlreadyLoggedIn(_), via: LoginVia::Sasl })
    ));
}

#[test]
fn pass_account_password_logs_in_at_registration() {
    let mut s = state();
    add_account(&mut s, "alice");
    s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut Output::default());
    run(&mut s, 1, Command::Pass { password: "alice:secret pw".into() });
    run(&mut s, 1, Command::Nick { nick: "alice".into() });
    let out = run(&mut s, 1, Command::User { user: "a".into(), realname: "A".into() });
    let work = only_job(&out, 1);
    assert!(matches!(&work, Work::Verify { account, password, then: AfterLogin::Login { via: LoginVia::Pass } }
        if &**account == "alice" && password == "secret pw"));
    assert!(!replies_to(&out, 1).iter().any(|r| matches!(r, Reply::Account(AccountReply::NickOwned { .. }))));
    // A wrong one: told, and warned about the nickname.
    let out = finish(&mut s, 1, work, Err(AccountFailure::WrongPassword));
    assert!(replies_to(&out, 1).iter().any(|r| matches!(r, Reply::Account(AccountReply::NickOwned { .. }))));
}

#[test]
fn a_login_registers_an_xml_client_under_its_account_and_renames_an_unidentified_holder() {
    let mut s = state();
    add_account(&mut s, "alice");
    irc_registered(&mut s, 1, "alice");
    s.connect(ClientId(2), xml_client(), "127.0.0.1", 0, &mut Output::default());
    // Commands before identifying are refused.
    let out = run(&mut s, 2, Command::Users);
    assert_eq!(replies_to(&out, 2), vec![&Reply::Error(crate::protocol::ChatError::NickRequired)]);
    let work = only_job(&run(&mut s, 2, identify(Some("ALICE"), "pw", LoginVia::Command)), 2);
    let out = finish(&mut s, 2, work, Ok(()));
    assert!(s.is_registered(ClientId(2)));
    assert_eq!(s.nick(ClientId(2)).unwrap().as_str(), "alice");
    assert!(s.nick(ClientId(1)).unwrap().as_str().starts_with("Guest"));
    assert!(replies_to(&out, 2).iter().any(|r| matches!(r, Reply::Account(AccountReply::LoggedIn { .. }))));
    assert!(s.rooms.values().all(|room| !room.members.contains(&ClientId(2))), "XML users are in no room");
}

#[test]
fn xml_clients_hear_everyone_come_rename_and_go() {
    let mut s = state();
    add_account(&mut s, "xavier");
    s.connect(ClientId(1), xml_client(), "127.0.0.1", 0, &mut Output::default());
    let work = only_job(&run(&mut s, 1, identify(Some("xavier"), "pw", LoginVia::Command)), 1);
    finish(&mut s, 1, work, Ok(()));
    s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
    let out = run(&mut s, 2, say("bob"));
    assert!(matches!(replies_to(&out, 1)[..], [Reply::Online { who }] if who.nick.as_str() == "bob"));
    let out = run(&mut s, 2, Command::Nick { nick: "robert".into() });
    assert!(matches!(replies_to(&out, 1)[..], [Reply::NickChanged { .. }]));
    let mut out = Output::default();
    s.remove(ClientId(2), &QuitReason::ConnectionLost, &mut out);
    assert!(matches!(replies_to(&out, 1)[..], [Reply::Quit { .. }]));
}

#[test]
fn register_checks_then_asks_for_the_account_and_logs_in() {
    let mut s = state();
    registered(&mut s, 1, "alice");
    registered(&mut s, 2, "bob");
    let out = run(&mut s, 1, account(AccountCommand::Register { name: None, password: "short".into() }));
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::PasswordLength { .. }, .. })
    ));
    let out = run(&mut s, 1, account(AccountCommand::Register { name: None, password: "long enough".into() }));
    let work = only_job(&out, 1);
    // A second registration of the same name meanwhile is refused.
    let out = run(&mut s, 1, account(AccountCommand::Register { name: None, password: "long enough".into() }));
    assert!(out.jobs.is_empty());
    // The broker created it, told chat state, and reports the job done.
    add_account(&mut s, "alice");
    let out = finish(&mut s, 1, work, Ok(()));
    let replies = replies_to(&out, 1);
    assert!(matches!(replies[0], Reply::Account(AccountReply::Registered { .. })));
    assert!(replies.iter().any(|r| matches!(r, Reply::Account(AccountReply::LoggedIn { .. }))));
    // Bob shares the default room: told of the account (IRC account-notify).
    assert!(matches!(replies_to(&out, 2)[..], [Reply::AccountChanged { account: Some(_), .. }]));
    assert!(out.audit.iter().any(|a| matches!(a, Audit::AccountRegistered { .. })));
}

#[test]
fn closed_registration_and_reserved_names_are_refused() {
    let mut s = state();
    s.settings.registration_open = false;
    registered(&mut s, 1, "alice");
    let out = run(&mut s, 1, account(AccountCommand::Register { name: None, password: "long enough".into() }));
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::RegistrationClosed, .. })
    ));
    let out = run(&mut s, 1, Command::Nick { nick: "nickserv".into() });
    assert!(matches!(replies_to(&out, 1)[0], Reply::Error(crate::protocol::ChatError::NickReserved(_))));
    s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
    let out = run(&mut s, 2, say("NickServ"));
    assert!(matches!(replies_to(&out, 2)[0], Reply::Error(crate::protocol::ChatError::NickReserved(_))));
}

#[test]
fn a_disabled_or_deleted_account_ends_its_sessions_and_unregistering_logs_out() {
    let mut s = state();
    add_account(&mut s, "alice");
    irc_registered(&mut s, 1, "alice");
    let work = only_job(&run(&mut s, 1, identify(None, "pw", LoginVia::Command)), 1);
    finish(&mut s, 1, work, Ok(()));
    let mut out = Output::default();
    s.account_updated(AccountEntry { name: Arc::from("alice"), created: 0, disabled: true }, &mut out);
    assert!(matches!(&out.kills[..], [(ClientId(1), QuitReason::AccountClosed { disabled: true, .. })]));
    // A disabled account cannot log in.
    irc_registered(&mut s, 2, "bob");
    let out = run(&mut s, 2, identify(Some("alice"), "pw", LoginVia::Command));
    assert!(out.jobs.is_empty());
    let mut out = Output::default();
    s.account_removed("alice", AccountGone::Deleted, &mut out);
    assert!(matches!(&out.kills[..], [(ClientId(1), QuitReason::AccountClosed { disabled: false, .. })]));

    add_account(&mut s, "bob");
    let work = only_job(&run(&mut s, 2, identify(None, "pw", LoginVia::Command)), 2);
    finish(&mut s, 2, work, Ok(()));
    let work = only_job(&run(&mut s, 2, account(AccountCommand::Unregister { password: Some("pw".into()) })), 2);
    let out = finish(&mut s, 2, work, Ok(()));
    let delete = only_job(&out, 2);
    assert!(matches!(&delete, Work::Delete { account } if &**account == "bob"));
    let mut out = Output::default();
    s.account_removed("bob", AccountGone::Unregistered, &mut out);
    s.job_done(ClientId(2), delete, Ok(()), 0, &mut out);
    assert!(out.kills.is_empty());
    assert!(replies_to(&out, 2).iter().any(|r| matches!(r, Reply::Account(AccountReply::LoggedOut { .. }))));
    assert!(replies_to(&out, 2).iter().any(|r| matches!(r, Reply::Account(AccountReply::Unregistered { .. }))));
    assert_eq!(s.account_count(), 0);
}

#[test]
fn regain_takes_the_nick_from_an_unidentified_holder() {
    let mut s = state();
    add_account(&mut s, "alice");
    irc_registered(&mut s, 1, "alice");
    registered(&mut s, 2, "al");
    let work = only_job(
        &run(&mut s, 2, account(AccountCommand::Regain { nick: "alice".into(), password: Some("pw".into()) })),
        2,
    );
    finish(&mut s, 2, work, Ok(()));
    assert_eq!(s.nick(ClientId(2)).unwrap().as_str(), "alice");
    assert!(s.nick(ClientId(1)).unwrap().as_str().starts_with("Guest"));
    // Without a password, only once logged in.
    registered(&mut s, 3, "carol");
    let out = run(&mut s, 3, account(AccountCommand::Regain { nick: "alice".into(), password: None }));
    assert!(matches!(
        replies_to(&out, 3)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::NotLoggedIn, .. })
    ));
}

#[test]
fn a_web_like_client_cannot_take_an_owned_nick_without_logging_in() {
    let mut s = state();
    add_account(&mut s, "alice");
    let web = Profile { prompted: false, needs_user: false, ..person() };
    s.connect(ClientId(1), web, "127.0.0.1", 0, &mut Output::default());
    let out = run(&mut s, 1, Command::Nick { nick: "alice".into() });
    assert!(matches!(replies_to(&out, 1)[0], Reply::Error(crate::protocol::ChatError::NickRegistered(_))));
    assert!(!s.is_registered(ClientId(1)));
}

#[test]
fn work_debug_hides_passwords() {
    let work = Work::Verify {
        account: Arc::from("alice"),
        password: "hunter2hunter2".into(),
        then: AfterLogin::SetPassword { new: "swordfish99".into() },
    };
    let shown = format!("{work:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("swordfish"), "{shown}");
}

#[test]
fn a_repeated_nick_does_not_buy_more_time() {
    let mut s = state();
    add_account(&mut s, "alice");
    irc_registered(&mut s, 1, "alice");
    let mut out = Output::default();
    s.apply(ClientId(1), Command::Nick { nick: "alice".into() }, 45_000, &mut out);
    assert!(!replies_to(&out, 1).iter().any(|r| matches!(r, Reply::Account(AccountReply::NickOwned { .. }))));
    s.rename_unidentified(60_000, &mut out);
    assert!(s.nick(ClientId(1)).unwrap().as_str().starts_with("Guest"));
}

#[test]
fn a_disabled_account_cannot_be_regained_nor_logged_into_by_a_check_in_flight() {
    let mut s = state();
    add_account(&mut s, "alice");
    registered(&mut s, 1, "bob");
    let work = only_job(&run(&mut s, 1, identify(Some("alice"), "pw", LoginVia::Command)), 1);
    s.account_updated(AccountEntry { name: Arc::from("alice"), created: 0, disabled: true }, &mut Output::default());
    let out = finish(&mut s, 1, work, Ok(()));
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::Disabled(_), .. })
    ));
    assert!(s.account_of(ClientId(1)).is_none());
    let out = run(&mut s, 1, account(AccountCommand::Regain { nick: "alice".into(), password: Some("pw".into()) }));
    assert!(out.jobs.is_empty());
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::Disabled(_), .. })
    ));
}

#[test]
fn a_password_for_an_account_that_went_away_is_never_said_to_the_room() {
    let mut s = state();
    add_account(&mut s, "dave");
    registered(&mut s, 1, "eve");
    registered(&mut s, 2, "watcher");
    run(&mut s, 1, Command::Nick { nick: "dave".into() });
    s.account_removed("dave", AccountGone::Deleted, &mut Output::default());
    let out = run(&mut s, 1, say("hunter2-dave-password"));
    assert!(replies_to(&out, 2).is_empty(), "{:?}", out.deliveries);
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::NoSuchAccount(_), .. })
    ));
    // The next line is a message again.
    let out = run(&mut s, 1, say("hello"));
    assert!(matches!(replies_to(&out, 2)[..], [Reply::Said { .. }]));
}

#[test]
fn guest_nicknames_cannot_be_registered() {
    let mut s = state();
    registered(&mut s, 1, "Guest12345");
    let out = run(&mut s, 1, account(AccountCommand::Register { name: None, password: "long enough".into() }));
    assert!(matches!(
        replies_to(&out, 1)[0],
        Reply::Account(AccountReply::Failed { failure: AccountFailure::NameInvalid(_), .. })
    ));
}
