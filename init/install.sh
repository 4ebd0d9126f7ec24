#!/bin/sh
# Installs chatd as a systemd service. Run from the repository: sudo init/install.sh
# (build first as your own user: cargo build --release). Idempotent; keeps an existing
# /etc/default/chatd.
set -eu
cd "$(dirname "$0")/.."

BIN=target/release/chatd
[ -x "$BIN" ] || { echo "install.sh: $BIN is missing; run 'cargo build --release' first" >&2; exit 1; }

# The service runs as the system user chatd (see init/chatd.service): `sudo chatd account ...`
# becomes the owner of /var/lib/chatd, so the files it creates there stay the service's.
if ! id -u chatd >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /var/lib/chatd --shell /usr/sbin/nologin chatd
fi
install -d -o chatd -g chatd -m 0700 /var/lib/chatd

install -m 0755 "$BIN" /usr/local/bin/chatd
install -m 0644 init/chatd.service /etc/systemd/system/chatd.service
[ -e /etc/default/chatd ] || install -m 0600 init/chatd.default /etc/default/chatd
[ -d /etc/logrotate.d ] && install -m 0644 init/chatd.logrotate /etc/logrotate.d/chatd
install -d -m 0755 /usr/local/share/doc/chatd
install -m 0644 README.md /usr/local/share/doc/chatd/README.md

systemctl daemon-reload
systemctl enable --now chatd
systemctl --no-pager status chatd | head -5
echo "chatd is running: tail -f /var/log/chatd/chatd.log, then nc localhost 6667"
echo "accounts: sudo chatd account add NAME --state-dir /var/lib/chatd"
