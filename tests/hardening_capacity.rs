//! The listen backlog and the process's capacity (issue 10, items 6 and 10).
//!
//! A connection storm used to abort chatd: every client thread costs memory mappings, and when
//! the process reached `vm.max_map_count` a new thread could not map its signal stack and the
//! runtime aborted. Now chatd computes what its limits allow and refuses with "server full"
//! before reaching any of them. These tests lower the limits (a map-count budget through
//! `CHATD_MAX_MAP_COUNT`, the open-file limit through prlimit(1)) and fill the server past them.

mod common;

use common::log::log_value;
use common::{Client, Server, binary};
use std::process::Command;

/// Starts `command` (chatd, with this file's own environment or a prlimit wrapper) on
/// 127.0.0.1:0 with client limits far above the capacity under test.
fn start(mut command: Command) -> Server {
    command.args(["--listen", "127.0.0.1:0", "--max-clients", "1000", "--max-per-ip", "1000"]);
    Server::start_command(command)
}

/// Fills `server` to its capacity (read from its `capacity` log line, which must name `bound`),
/// shows that the next connections are refused with the server-full line while the server keeps
/// serving those it has, and that a slot freed is a slot taken again.
fn fill_to_capacity(server: &mut Server, bound: &str) {
    let capacity_line = server.expect_log(&[" INFO capacity "]);
    assert_eq!(log_value(&capacity_line, "bound"), bound, "{capacity_line}");
    let capacity: usize = log_value(&capacity_line, "clients").parse().unwrap();
    assert!((4..=200).contains(&capacity), "the lowered limit should allow a few clients: {capacity_line}");
    let warning = server.expect_log(&[" WARN capacity_low "]);
    assert!(warning.contains(&format!("capacity={capacity} bound={bound}")), "{warning}");

    let register = |nick: &str| {
        let mut client = server.connect();
        client.expect("Choose a nickname");
        client.send(nick);
        client.expect("You joined");
        client
    };
    let mut alice = register("alice");
    let mut bob = register("bob");
    let mut others: Vec<Client> = (2..capacity).map(|_| server.connect()).collect();
    for client in &mut others {
        client.expect("Choose a nickname");
    }
    server.expect_log(&["connect", &format!("clients={capacity}/{capacity}")]);

    let full = format!("error: server full ({capacity}/{capacity} clients), try again later");
    for _ in 0..3 {
        let mut refused = server.connect();
        assert_eq!(refused.expect_closed(), vec![full.clone()]);
    }
    server.expect_log(&[" WARN refused ", "reason=capacity", &format!("count={capacity}/{capacity}")]);
    server.assert_running();

    // Those connected still chat.
    alice.send("still here");
    bob.expect("still here");

    // Two leave; two others take their places, and then it is full again.
    for client in others.drain(..2) {
        let port = client.stream.local_addr().unwrap().port();
        drop(client);
        server.expect_log(&[" INFO quit ", &format!("peer=127.0.0.1:{port} ")]);
    }
    for _ in 0..2 {
        let mut newcomer = server.connect();
        newcomer.expect("Choose a nickname");
        others.push(newcomer);
    }
    let mut refused = server.connect();
    assert_eq!(refused.expect_closed(), vec![full]);
    bob.send("and you?");
    alice.expect("and you?");
    server.assert_running();
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux (/proc, the map-count limit)")]
fn a_small_map_count_budget_refuses_instead_of_aborting() {
    let mut command = Command::new(binary());
    // (1200 - the mappings in use at start - 1024 kept free) / 4 per thread: a few dozen.
    command.env("CHATD_MAX_MAP_COUNT", "1200");
    let mut server = start(command);
    let line = server.expect_log(&[" INFO capacity "]);
    assert_eq!(log_value(&line, "max_map_count"), "1200(CHATD_MAX_MAP_COUNT)");
    fill_to_capacity(&mut server, "maps");
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux (prlimit)")]
fn a_low_open_file_limit_refuses_instead_of_running_out_of_descriptors() {
    // 90 descriptors: those chatd holds at start, 64 kept free, and about twenty for clients.
    let mut command = Command::new("prlimit");
    command.args(["--nofile=90:90", "--"]).arg(binary());
    let mut server = start(command);
    let start = server.expect_log(&[" INFO start "]);
    assert_eq!(log_value(&start, "fd_limit"), "90");
    fill_to_capacity(&mut server, "files");
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux (ss, /proc/sys/net/core/somaxconn)")]
fn the_listener_has_the_systems_longest_backlog() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn").unwrap().trim().parse().unwrap();
    let server = start(Command::new(binary()));

    // On a listening socket, ss's Send-Q column is the backlog it was given.
    let out = Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", server.addr.port())])
        .output()
        .unwrap_or_else(|e| panic!("this test needs ss (iproute2): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let columns: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(columns.first(), Some(&"LISTEN"), "ss said: {text:?}");
    let backlog: u32 = columns[2].parse().unwrap();
    // chatd asks for the largest backlog; the kernel cuts it to net.core.somaxconn.
    assert_eq!(backlog, somaxconn, "ss said: {text:?}");
    // std's default is 128; where the system allows no more, there is nothing to show.
    assert!(somaxconn <= 128 || backlog > 128, "ss said: {text:?}");
    // And the start line says so.
    let start = server.expect_log(&[" INFO start "]);
    assert_eq!(log_value(&start, "backlog"), somaxconn.to_string());
}
