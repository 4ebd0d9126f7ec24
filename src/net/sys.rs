//! The few socket and process controls std does not offer, as thin calls into the C library that
//! std already links, through the `libc` crate's declarations (its functions, structs and
//! constants are right for each target, where hand-written ones differ between architectures).
//! Everything unsafe in chatd lives here, except setting the allocator's threshold (`capacity`).
//!
//! Why these and no crate: the broker must write without ever blocking, but the socket is shared
//! with the reader, which must block (and `set_nonblocking` on a `try_clone` would change both,
//! since clones share one open file description). `send(2)` with `MSG_DONTWAIT` is non-blocking
//! for that one call only. TCP
//! keepalive and `TCP_USER_TIMEOUT` let the kernel probe silent peers, so a netcat user never has
//! to answer a ping. Raising `RLIMIT_NOFILE` lets `--max-clients` mean what it says. Renaming the
//! calling thread keeps `top -H` truthful when a reader thread moves on to its next client.
//!
//! On systems other than Linux, writes fall back to a 1 ms send timeout and keepalive is not set.
//!
//! Also: listening with the system's largest accept queue (std asks for 128) and reading the
//! process-count limit, for `capacity`; reading a newcomer's first bytes without waiting, and
//! waiting for them with `poll(2)`, which std could only do by setting a read timeout and clearing
//! it again (two more system calls per connection).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Writes as much of `buf` as the socket takes right now; `WouldBlock` when it takes nothing.
#[cfg(target_os = "linux")]
pub fn send_now(stream: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `buf`, which outlives the call; the descriptor is
    // owned by `stream`, which is borrowed for the duration of the call.
    let sent = unsafe {
        libc::send(stream.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
    };
    if sent < 0 { Err(io::Error::last_os_error()) } else { Ok(sent as usize) }
}

#[cfg(not(target_os = "linux"))]
pub fn send_now(stream: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    use std::io::Write;
    (&*stream).write(buf)
}

#[cfg(target_os = "linux")]
fn set_int_option(fd: std::os::fd::RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    let len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int and `len` is its size; the caller borrows the socket that
    // owns `fd` for the duration of the call.
    let rc = unsafe { libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), len) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Reads what the socket has received into `buf` without waiting: `WouldBlock` when nothing has
/// arrived, `Ok(0)` when the peer has closed. The socket itself stays blocking (see `send_now`).
pub fn recv_now(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `buf`, which is writable and outlives the call; the
    // descriptor is owned by `stream`, which is borrowed for the duration of the call.
    let got = unsafe { libc::recv(stream.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    if got < 0 { Err(io::Error::last_os_error()) } else { Ok(got as usize) }
}

/// Waits until the socket has something to read (data, end of file or an error) or `timeout`
/// has passed: one `poll(2)`, where a read timeout would cost a `setsockopt` to set and another to
/// clear. Returns whether it became readable; a signal counts as not yet.
pub fn wait_readable(stream: &TcpStream, timeout: Duration) -> io::Result<bool> {
    let mut poll = libc::pollfd { fd: stream.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // Rounded up, so that a wait never ends just before the deadline and has to be repeated.
    let millis = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    // SAFETY: `poll` is one valid, writable `struct pollfd`, and the count passed is 1.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    match ready {
        0 => Ok(false),
        n if n > 0 => Ok(true),
        _ => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(e) }
        }
    }
}

/// The socket options of a client connection, as (level, name, value): no Nagle delay, and the
/// kernel drops the connection when the peer has been unreachable for about `idle + timeout`
/// (keepalive probes start after `idle` of silence; unacknowledged output is given up on after
/// `idle + timeout`).
#[cfg(target_os = "linux")]
fn client_options(idle: Duration, timeout: Duration) -> [(i32, i32, i32); 6] {
    let idle_s = idle.as_secs().clamp(1, 32_767) as i32;
    let interval_s = (timeout.as_secs() / 4).clamp(1, 32_767) as i32;
    let user_timeout_ms = (idle + timeout).as_millis().min(i32::MAX as u128) as i32;
    [
        (libc::IPPROTO_TCP, libc::TCP_NODELAY, 1),
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle_s),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, interval_s),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 4),
        (libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT, user_timeout_ms),
    ]
}

/// Prepares an accepted socket (see `client_options`). Not needed on Linux for connections
/// accepted from a listener prepared by `tune_listener`.
pub fn tune_socket(stream: &TcpStream, idle: Duration, timeout: Duration) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    for (level, name, value) in client_options(idle, timeout) {
        set_int_option(stream.as_raw_fd(), level, name, value)?;
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (idle, timeout);
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(Duration::from_millis(1)))?;
    }
    Ok(())
}

/// Sets the client options (see `client_options`) once on the listening socket instead of on
/// every accepted one: Linux copies them into each socket `accept` returns (tcp(7) says so for
/// `TCP_USER_TIMEOUT`, "like many others"; `TCP_NODELAY` and `SO_KEEPALIVE` are inherited on
/// BSD-derived stacks too; checked for all six by a test below). Six `setsockopt` calls fewer per
/// connection. Elsewhere: `Unsupported`, and accepted sockets are prepared one by one.
#[cfg(target_os = "linux")]
pub fn tune_listener(listener: &TcpListener, idle: Duration, timeout: Duration) -> io::Result<()> {
    for (level, name, value) in client_options(idle, timeout) {
        set_int_option(listener.as_raw_fd(), level, name, value)?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn tune_listener(_listener: &TcpListener, _idle: Duration, _timeout: Duration) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "accepted sockets are prepared one by one here"))
}

/// Raises the soft open-file limit to the hard limit. Returns (before, after).
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on 64-bit Linux, not on every target
pub fn raise_fd_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a valid, writable `struct rlimit` that outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `struct rlimit` that outlives the call; it is only read.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok((before as u64, limit.rlim_cur as u64))
}

#[cfg(not(target_os = "linux"))]
pub fn raise_fd_limit() -> io::Result<(u64, u64)> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "not supported on this system"))
}

/// Asks for the longest accept queue the system allows: std's `bind` listens with a backlog of
/// 128, which a burst of connects overflows (the overflowing clients wait a second for a SYN
/// retry). Calling listen(2) again on a listening socket updates its backlog; Linux and the BSDs
/// cut a larger request down to their maximum (`net.core.somaxconn` on Linux).
pub fn listen_with_longest_backlog(listener: &TcpListener) -> io::Result<()> {
    // SAFETY: the descriptor is owned by `listener`, which is borrowed for the duration of the call.
    if unsafe { libc::listen(listener.as_raw_fd(), i32::MAX) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// The soft limit on processes (threads, on Linux) of this process's user, when one applies:
/// `None` when it is unlimited or the process runs as root, whom Linux does not hold to it.
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
pub fn process_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a valid, writable `struct rlimit`; getuid cannot fail.
    let (rc, uid) = unsafe { (libc::getrlimit(libc::RLIMIT_NPROC, &mut limit), libc::getuid()) };
    (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY && uid != 0).then_some(limit.rlim_cur as u64)
}

/// Renames the calling thread (std names a thread only when it starts). Linux keeps 15 bytes;
/// longer names are cut there. Best effort: a name is for people reading `top -H`.
#[cfg(target_os = "linux")]
pub fn name_this_thread(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().filter(|&b| b != 0).take(15).collect();
    bytes.push(0);
    // SAFETY: `bytes` is a NUL-terminated buffer of at most 16 bytes that outlives the call, and
    // pthread_self() names the calling thread, which is alive.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), bytes.as_ptr().cast()) };
}

#[cfg(not(target_os = "linux"))]
pub fn name_this_thread(_name: &str) {}

/// Gives the calling thread the lowest scheduling priority (nice 19), for work that must never
/// take the processor from message delivery: password hashing. On Linux the nice value is per
/// thread (`setpriority` with the thread's id). The thread still runs when the processor has room,
/// and gets a small share when it has none, so logins are slowed by load, never starved.
#[cfg(target_os = "linux")]
pub fn lower_thread_priority() -> io::Result<()> {
    // SAFETY: gettid has no preconditions; setpriority only reads its arguments.
    let rc = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19)
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
pub fn lower_thread_priority() -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "not supported on this system"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn send_now_never_blocks_on_a_full_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut reader, _) = listener.accept().unwrap();
        tune_socket(&writer, Duration::from_secs(60), Duration::from_secs(60)).unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        let mut total = 0;
        let full = loop {
            match send_now(&writer, &chunk) {
                Ok(n) => total += n,
                Err(e) => break e,
            }
            assert!(total < 1 << 30, "socket never filled");
        };
        assert_eq!(full.kind(), io::ErrorKind::WouldBlock);
        // The reader's side is still blocking: reading works and returns data.
        let mut buf = [0u8; 16];
        assert_eq!(reader.read(&mut buf).unwrap(), 16);
    }

    #[test]
    fn a_thread_can_be_renamed_and_long_names_are_cut() {
        let name = std::thread::spawn(|| {
            name_this_thread("client-123456789012");
            std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default()
        })
        .join()
        .unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(name.trim_end(), "client-12345678");
        }
    }

    #[test]
    fn a_listener_takes_a_longer_backlog() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listen_with_longest_backlog(&listener).unwrap();
        // Still listening: a connection is queued and accepted.
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(listener.accept().is_ok());
    }

    #[cfg(target_os = "linux")]
    fn int_option(stream: &TcpStream, level: i32, name: i32) -> i32 {
        let mut value = 0i32;
        let mut len = size_of::<i32>() as libc::socklen_t;
        // SAFETY: `value` and `len` are live and writable, and `len` is the size of `value`.
        let rc =
            unsafe { libc::getsockopt(stream.as_raw_fd(), level, name, (&mut value as *mut i32).cast(), &mut len) };
        assert_eq!(rc, 0, "getsockopt({level}, {name}): {}", io::Error::last_os_error());
        value
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn accepted_sockets_inherit_the_options_set_on_the_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (idle, timeout) = (Duration::from_secs(77), Duration::from_secs(60));
        tune_listener(&listener, idle, timeout).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let expected = client_options(idle, timeout);
        assert!(expected.iter().all(|&(_, _, value)| value != 0), "every option differs from its default");
        for (level, name, value) in expected {
            assert_eq!(int_option(&accepted, level, name), value, "option {name} at level {level}");
        }
        assert_eq!(expected[2].2, 77);
        assert_eq!(expected[5].2, 137_000, "TCP_USER_TIMEOUT is idle + timeout, in milliseconds");
    }

    #[test]
    fn reading_now_never_waits_and_leaves_the_socket_blocking() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut served, _) = listener.accept().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(recv_now(&served, &mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        std::io::Write::write_all(&mut client, b"NICK a\r\nUSER").unwrap();
        assert!(wait_readable(&served, Duration::from_secs(5)).unwrap());
        let mut got = recv_now(&served, &mut buf).unwrap();
        assert!(got > 0);
        // The rest is read by a plain, blocking read: the socket did not become non-blocking.
        let mut all = buf[..got].to_vec();
        while all.len() < 12 {
            got = served.read(&mut buf).unwrap();
            all.extend_from_slice(&buf[..got]);
        }
        assert_eq!(all, b"NICK a\r\nUSER");
        drop(client);
        assert!(wait_readable(&served, Duration::from_secs(5)).unwrap(), "end of file is readable");
        assert_eq!(recv_now(&served, &mut buf).unwrap(), 0);
    }

    #[test]
    fn waiting_for_a_silent_socket_ends_at_the_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();
        let start = std::time::Instant::now();
        assert!(!wait_readable(&served, Duration::from_millis(30)).unwrap());
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn fd_limit_can_be_read() {
        let (before, after) = raise_fd_limit().unwrap();
        assert!(after >= before);
    }
}
