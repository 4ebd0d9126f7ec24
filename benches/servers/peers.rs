//! The peers' configurations (ngircd, InspIRCd): every limit that would get in the bench's way
//! relaxed as far as each server allows, and what could not be relaxed, said once per run.

use super::Kind;
use std::path::Path;

/// What each peer's configuration could not relax, printed once.
pub fn peer_limits(kind: Kind) -> &'static str {
    match kind {
        Kind::Chatd => "",
        Kind::ChatdBase => "chatd-base: another chatd binary (--base), started with chatd's options",
        Kind::Ngircd => {
            "ngircd: the per-client write buffer is compiled in (not configurable; clients over it are \
             dropped); a client's commands are handled at most 3 per main-loop pass; MaxPenaltyTime=0 \
             turns the command penalty off, DNS/Ident/PAM are off"
        }
        Kind::Inspircd => {
            "inspircd: commandrate/threshold set very high and fakelag off (no switch removes the penalty \
             accounting itself); hardsendq=1 MiB like chatd's --max-sendq; hostname lookups off"
        }
    }
}

pub fn ngircd_config(port: u16, dir: &Path) -> String {
    // MaxConnections = 0 is ngircd's default, no limit. Raising it to 20,000 instead made ngircd
    // take twice the CPU per delivery (fanout-100: 0.34 M -> 0.60 M deliveries/s with 0).
    format!(
        "[Global]\n\tName = bench.local\n\tInfo = chatd bench peer\n\tListen = 127.0.0.1\n\tPorts = {port}\n\
         \tMotdFile = {motd}\n\tPidFile = {pid}\n\
         [Limits]\n\tMaxConnections = 0\n\tMaxConnectionsIP = 0\n\tMaxJoins = 50\n\tMaxNickLength = 30\n\
         \tMaxPenaltyTime = 0\n\tPingTimeout = 600\n\tPongTimeout = 600\n\tConnectRetry = 60\n\
         [Options]\n\tDNS = no\n\tIdent = no\n\tPAM = no\n\tSyslog = no\n",
        motd = dir.join("motd").display(),
        pid = dir.join("ngircd.pid").display(),
    )
}

pub fn inspircd_config(port: u16, dir: &Path) -> String {
    format!(
        r#"<server name="bench.local" description="chatd bench peer" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect allow="*" timeout="60" pingfreq="600" hardsendq="1048576" softsendq="1048576" recvq="1048576"
         threshold="1000000" commandrate="1000000000" fakelag="no" penaltythreshold="1000000"
         localmax="20000" globalmax="20000" limit="20000" maxchans="50" resolvehostnames="no" useident="no">
<files motd="{motd}">
<channels users="50" opers="60">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxquit="255" maxtopic="307" maxkick="255"
        maxreal="128" maxgecos="128" maxaway="200">
<pid file="{pid}">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15">
<security hideserver="" userstats="Pu" customversion="" maxtargets="20">
<performance quietbursts="yes" softlimit="20000" somaxconn="4096" netbuffersize="65536" nouserdns="yes">
"#,
        motd = dir.join("motd").display(),
        pid = dir.join("inspircd.pid").display(),
    )
}
