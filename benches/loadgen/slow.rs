//! The slow reader: a registered member of a room that never reads again, and how much the kernel
//! holds on its connection (to tell the server's own backlog for it from what is in flight).

use super::numeric;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Bytes the kernel holds on the slow client's loopback connection: unread by the client plus
/// not yet acknowledged from the server. The server's side is looked up by its exact address
/// with sock_diag (one hash lookup; reading /proc/net/tcp walks every socket and takes
/// milliseconds, which would slow the load generator down).
pub fn kernel_queued(client: &TcpStream, server_port: u16) -> Option<u64> {
    use std::os::fd::AsRawFd;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    let client_port = client.local_addr().ok()?.port();
    let mut unread: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid.
    if unsafe { libc::ioctl(client.as_raw_fd(), libc::FIONREAD, &mut unread) } < 0 {
        return None;
    }
    // nlmsghdr (16 bytes) + inet_diag_req_v2 (56 bytes), built by hand: libc has no such types.
    let mut req = [0u8; 72];
    req[0..4].copy_from_slice(&72u32.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req[16] = libc::AF_INET as u8;
    req[17] = libc::IPPROTO_TCP as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req[24..26].copy_from_slice(&server_port.to_be_bytes());
    req[26..28].copy_from_slice(&client_port.to_be_bytes());
    req[28..32].copy_from_slice(&[127, 0, 0, 1]);
    req[44..48].copy_from_slice(&[127, 0, 0, 1]);
    req[64..72].copy_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
    let mut resp = [0u8; 512];
    // SAFETY: plain socket calls on a descriptor owned here; the buffers are valid for their lengths.
    let got = unsafe {
        let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, libc::NETLINK_SOCK_DIAG);
        if fd < 0 {
            return None;
        }
        let sent = libc::send(fd, req.as_ptr().cast(), req.len(), 0);
        let got = if sent == req.len() as isize { libc::recv(fd, resp.as_mut_ptr().cast(), resp.len(), 0) } else { -1 };
        libc::close(fd);
        got
    };
    // The answer: nlmsghdr, then inet_diag_msg, whose idiag_wqueue is at byte 60 of it.
    let kind = u16::from_ne_bytes([resp[4], resp[5]]);
    if got < 80 || kind != SOCK_DIAG_BY_FAMILY {
        return None;
    }
    let unacked = u32::from_ne_bytes(resp[76..80].try_into().ok()?);
    Some(unread as u64 + unacked as u64)
}

/// A registered member of `room` that never reads again (its receive buffer is kept small).
pub fn slow_client(addr: SocketAddr, nick: &str, room: &str) -> Result<TcpStream, String> {
    // SAFETY: plain socket calls on a descriptor this function owns; the sockaddr is fully initialised.
    let fd = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error().to_string());
        }
        let size: libc::c_int = 4096;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as u32,
        );
        let SocketAddr::V4(v4) = addr else { return Err("IPv4 only".into()) };
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: v4.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
            sin_zero: [0; 8],
        };
        if libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as u32) < 0 {
            let e = io::Error::last_os_error();
            libc::close(fd);
            return Err(format!("slow client connect: {e}"));
        }
        fd
    };
    // SAFETY: `fd` is a connected socket that nothing else owns.
    let mut sock = unsafe { <TcpStream as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    sock.write_all(format!("NICK {nick}\r\nUSER u 0 * :r\r\n").as_bytes()).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(sock.try_clone().map_err(|e| e.to_string())?);
    let mut joined = false;
    let mut line = String::new();
    while !joined {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| format!("slow client: {e}"))? == 0 {
            return Err("slow client closed while registering".into());
        }
        let bytes = line.trim_end().as_bytes();
        if let Some(token) = bytes.strip_prefix(b"PING ") {
            sock.write_all(&[b"PONG ", token, b"\r\n"].concat()).map_err(|e| e.to_string())?;
        }
        match numeric(bytes) {
            Some(376 | 422) => sock.write_all(format!("JOIN {room}\r\n").as_bytes()).map_err(|e| e.to_string())?,
            Some(366) => joined = true,
            _ => {}
        }
    }
    Ok(sock)
}
