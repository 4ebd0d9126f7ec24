//! The systemd notification protocol (`sd_notify`), for `Type=notify` units.
//!
//! Owns the datagrams to `$NOTIFY_SOCKET`: `READY=1` once every listener is bound, `STATUS=...`
//! with the client count, `STOPPING=1` on shutdown. Without `NOTIFY_SOCKET` (not started by
//! systemd) every call does nothing. Failures are ignored: the service manager's view is never a
//! reason to stop serving.
//!
//! The socket is a path, or an abstract address written with a leading `@` (systemd's notation
//! for the NUL byte that starts Linux abstract names).

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Where notifications go, if anywhere.
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

fn address(spec: &str) -> io::Result<SocketAddr> {
    match spec.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes())
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => Err(io::Error::new(io::ErrorKind::Unsupported, "abstract sockets need Linux")),
        None => SocketAddr::from_pathname(spec),
    }
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET` from the environment.
    pub fn from_env() -> Notifier {
        let target = std::env::var("NOTIFY_SOCKET").ok().filter(|s| !s.is_empty()).and_then(|spec| {
            let addr = address(&spec).ok()?;
            let socket = UnixDatagram::unbound().ok()?;
            Some((socket, addr))
        });
        Notifier { target }
    }

    /// True when systemd is listening.
    pub fn is_active(&self) -> bool {
        self.target.is_some()
    }

    /// Sends one notification (newline-separated `KEY=value` assignments).
    pub fn send(&self, state: &str) {
        if let Some((socket, addr)) = &self.target {
            let _ = socket.send_to_addr(state.as_bytes(), addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_abstract_addresses() {
        let dir = std::env::temp_dir().join(format!("chatd-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let notifier =
            Notifier { target: Some((UnixDatagram::unbound().unwrap(), address(path.to_str().unwrap()).unwrap())) };
        notifier.send("READY=1");
        let mut buf = [0u8; 64];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        std::fs::remove_dir_all(&dir).unwrap();

        let name = format!("chatd-notify-test-{}", std::process::id());
        let receiver = UnixDatagram::bind_addr(&address(&format!("@{name}")).unwrap()).unwrap();
        let notifier =
            Notifier { target: Some((UnixDatagram::unbound().unwrap(), address(&format!("@{name}")).unwrap())) };
        notifier.send("STOPPING=1");
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    #[test]
    fn without_a_socket_nothing_happens() {
        let notifier = Notifier { target: None };
        assert!(!notifier.is_active());
        notifier.send("READY=1");
    }
}
