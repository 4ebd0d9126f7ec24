//! How many clients this process can really hold, from the limits the system puts on it.
//!
//! Owns reading those limits at start (`Limits::read`) and the pure computation of the capacity
//! from them (`Capacity::of`). The acceptor refuses connections beyond it with the usual "server
//! full" line, so that no limit is ever reached: some of them, once reached, abort the process.
//!
//! Each client costs one file descriptor (its socket) and one thread (its reader). On Linux each
//! thread costs four memory mappings — its stack and guard page, and the signal stack Rust's
//! runtime maps for it and that stack's guard page — counted against `vm.max_map_count`; when a
//! new thread cannot map its signal stack, the runtime aborts the whole process. Threads also
//! count against `kernel.threads-max` and `kernel.pid_max` (system-wide), `RLIMIT_NPROC` (per
//! user) and the cgroup's `pids.max` (systemd's `TasksMax=`). Running out of file descriptors
//! does not abort, but a server that cannot accept cannot tell anyone it is full either.

use std::fmt;
use std::path::Path;

/// Memory mappings each reader thread adds (measured: 4.0 per client over 300 clients).
pub const MAPS_PER_THREAD: u64 = 4;

/// File descriptors kept free for chatd itself: the log file and its reopening after rotation,
/// the notify socket, and connections accepted only to be told "server full".
pub const FD_HEADROOM: u64 = 64;

/// Threads kept free for chatd's own: broker, signal handler, log writer, one acceptor per
/// listener.
pub const THREAD_HEADROOM: u64 = 32;

/// Tasks left free on the whole system (threads-max, pid_max) for everything that is not chatd.
pub const SYSTEM_TASK_HEADROOM: u64 = 256;

/// The mappings kept free beyond those in use at start: allocator arenas, large allocations that
/// the allocator maps on their own, and the stacks it caches from ended threads (about 600
/// mappings at most).
pub fn map_margin(max_map_count: u64) -> u64 {
    (max_map_count / 16).max(1024)
}

/// The allocation size from which glibc's malloc gives a block a memory mapping of its own (its
/// `M_MMAP_THRESHOLD`), as chatd sets it: above any client's send queue, which can hold
/// `--max-sendq` bytes plus a reply and, growing by doubling, have up to twice that allocated.
/// glibc starts at 128 KiB, below the default `--max-sendq` (256 KiB): every slow reader's queue
/// would then be a mapping of its own, outside the map-count budget measured at start, and
/// thousands of them could reach `vm.max_map_count` again. 4 MiB at least; 32 MiB at most, the
/// upper limit mallopt(3) documents on 64-bit systems (bigger queues then do take mappings of
/// their own, within the margin the budget keeps).
pub fn mmap_threshold(max_sendq: usize) -> usize {
    max_sendq.saturating_mul(4).clamp(4 << 20, 32 << 20)
}

/// Sets glibc's `M_MMAP_THRESHOLD` to `bytes` (see `mmap_threshold`). False when glibc refused it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn set_mmap_threshold(bytes: usize) -> bool {
    let Ok(bytes) = libc::c_int::try_from(bytes) else { return false };
    // SAFETY: mallopt only sets a parameter of the allocator, under the allocator's own lock; it
    // has no pointer arguments. (Kept here rather than in `sys`, next to the budget it protects.)
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

/// Other allocators have no such threshold to set.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn set_mmap_threshold(_bytes: usize) -> bool {
    true
}

/// The kernel's default `vm.max_map_count`, assumed when the real value cannot be read (a
/// sandbox that hides /proc/sys, like systemd's `ProcSubset=pid`).
pub const DEFAULT_MAX_MAP_COUNT: u64 = 65_530;

/// Environment variable that overrides `vm.max_map_count` for chatd's computation only: for
/// tests and diagnosis, or to tell chatd the real value when a sandbox hides /proc/sys.
pub const MAX_MAP_COUNT_ENV: &str = "CHATD_MAX_MAP_COUNT";

/// Where a limit's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    System,
    /// Not readable: the kernel's default is assumed.
    Assumed,
    /// From `CHATD_MAX_MAP_COUNT`.
    Environment,
}

/// The limits and the use of them at start, as read from the system. `None`: no such limit
/// applies, or it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The soft `RLIMIT_NOFILE` (after raising it to the hard limit).
    pub open_files: Option<u64>,
    pub fds_in_use: u64,
    pub max_map_count: u64,
    pub max_map_count_source: Source,
    pub maps_in_use: u64,
    /// `kernel.threads-max` and `kernel.pid_max`, the smaller of the two.
    pub system_tasks_max: Option<u64>,
    /// Threads running on the whole system now.
    pub system_tasks_in_use: Option<u64>,
    /// The soft `RLIMIT_NPROC`, when it applies (see `sys::process_limit`).
    pub user_tasks_max: Option<u64>,
    /// This process's threads now.
    pub own_tasks: u64,
    /// The cgroup's `pids.max` minus `pids.current`, the least over it and its ancestors.
    pub cgroup_tasks_left: Option<u64>,
}

/// One of the things that bound the client count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// `RLIMIT_NOFILE`: `ulimit -n`, systemd's `LimitNOFILE=`.
    Files,
    /// `vm.max_map_count`.
    Maps,
    /// `kernel.threads-max` and `kernel.pid_max`.
    Threads,
    /// `RLIMIT_NPROC`: `ulimit -u`, systemd's `LimitNPROC=`.
    Nproc,
    /// The cgroup's `pids.max`: systemd's `TasksMax=`.
    Tasks,
}

impl Bound {
    pub fn name(self) -> &'static str {
        match self {
            Bound::Files => "files",
            Bound::Maps => "maps",
            Bound::Threads => "threads",
            Bound::Nproc => "nproc",
            Bound::Tasks => "tasks",
        }
    }
}

/// What one bound allows on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    Clients(u64),
    /// No such limit applies (or it could not be read).
    Unlimited,
}

impl fmt::Display for Allowance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowance::Clients(n) => write!(f, "{n}"),
            Allowance::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// The most clients and reader threads this process can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// Most clients connected at once.
    pub clients: usize,
    /// Most reader threads alive at once (serving a client, or waiting for the next one).
    /// Slightly above `clients`: a reader thread whose client has just been dropped may still
    /// be ending when the next client comes.
    pub reader_threads: usize,
    /// The bound that sets `clients`.
    pub bound: Bound,
    /// What each bound allows on its own, in `Bound` order.
    pub allowances: Vec<(Bound, Allowance)>,
}

/// `limit - used - headroom`, never below zero.
fn left(limit: u64, used: u64, headroom: u64) -> u64 {
    limit.saturating_sub(used).saturating_sub(headroom)
}

impl Capacity {
    /// The capacity `limits` allow. Pure.
    pub fn of(limits: &Limits) -> Capacity {
        let files = limits.open_files.map(|max| left(max, limits.fds_in_use, FD_HEADROOM));
        let maps =
            Some(left(limits.max_map_count, limits.maps_in_use, map_margin(limits.max_map_count)) / MAPS_PER_THREAD);
        let threads = match (limits.system_tasks_max, limits.system_tasks_in_use) {
            (Some(max), Some(used)) => Some(left(max, used, SYSTEM_TASK_HEADROOM + THREAD_HEADROOM)),
            (Some(max), None) => Some(left(max, limits.own_tasks, SYSTEM_TASK_HEADROOM + THREAD_HEADROOM)),
            (None, _) => None,
        };
        let nproc = limits.user_tasks_max.map(|max| left(max, limits.own_tasks, THREAD_HEADROOM));
        let tasks = limits.cgroup_tasks_left.map(|free| free.saturating_sub(THREAD_HEADROOM));
        let allowances: Vec<(Bound, Option<u64>)> = vec![
            (Bound::Files, files),
            (Bound::Maps, maps),
            (Bound::Threads, threads),
            (Bound::Nproc, nproc),
            (Bound::Tasks, tasks),
        ];

        // Reader threads: what every thread bound allows. Clients: a little less, and no more
        // than the file descriptors allow.
        let thread_bounds = allowances.iter().filter(|(b, _)| *b != Bound::Files);
        let (thread_bound, reader_threads) = thread_bounds
            .filter_map(|&(b, n)| n.map(|n| (b, n)))
            .min_by_key(|&(_, n)| n)
            .unwrap_or((Bound::Maps, u64::MAX));
        let clients_by_threads = reader_threads - reader_threads / 64;
        let (bound, clients) = match files {
            Some(by_files) if by_files < clients_by_threads => (Bound::Files, by_files),
            _ => (thread_bound, clients_by_threads),
        };
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Capacity {
            clients: to_usize(clients),
            reader_threads: to_usize(reader_threads),
            bound,
            allowances: allowances
                .into_iter()
                .map(|(b, n)| (b, n.map_or(Allowance::Unlimited, Allowance::Clients)))
                .collect(),
        }
    }
}

impl Capacity {
    /// The `capacity` log line's fields: the capacity, its bound, what each bound allows, and
    /// the map-count figures behind the `maps` bound (the one chatd cannot read back later).
    pub fn log_fields(&self, limits: &Limits) -> Vec<(&'static str, String)> {
        let mut fields = vec![("clients", self.clients.to_string()), ("bound", self.bound.name().to_string())];
        fields.extend(self.allowances.iter().map(|(bound, allowance)| (bound.name(), allowance.to_string())));
        fields.extend([
            ("reader_threads", self.reader_threads.to_string()),
            ("max_map_count", limits.max_map_count_field()),
            ("maps_in_use", limits.maps_in_use.to_string()),
        ]);
        fields
    }
}

impl Limits {
    /// Reads the limits and their use now. `open_files` is the file limit already in force (the
    /// caller raises it first).
    pub fn read(open_files: Option<u64>) -> Limits {
        let (max_map_count, max_map_count_source) =
            match std::env::var(MAX_MAP_COUNT_ENV).ok().and_then(|v| v.trim().parse().ok()) {
                Some(n) => (n, Source::Environment),
                None => match read_number("/proc/sys/vm/max_map_count") {
                    Some(n) => (n, Source::System),
                    None => (DEFAULT_MAX_MAP_COUNT, Source::Assumed),
                },
            };
        let system_tasks_max = [read_number("/proc/sys/kernel/threads-max"), read_number("/proc/sys/kernel/pid_max")]
            .into_iter()
            .flatten()
            .min();
        Limits {
            open_files,
            // The directory listing's own descriptor is counted too: one too many, harmlessly.
            fds_in_use: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
            max_map_count,
            max_map_count_source,
            maps_in_use: std::fs::read_to_string("/proc/self/maps").map_or(0, |m| m.lines().count() as u64),
            system_tasks_max,
            system_tasks_in_use: std::fs::read_to_string("/proc/loadavg").ok().and_then(|t| tasks_in_loadavg(&t)),
            user_tasks_max: super::sys::process_limit(),
            own_tasks: std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count() as u64),
            cgroup_tasks_left: std::fs::read_to_string("/proc/self/cgroup")
                .ok()
                .and_then(|text| cgroup_tasks_left(&text, Path::new("/sys/fs/cgroup"))),
        }
    }

    /// `vm.max_map_count` for the log: the number, and where it came from when not the system.
    pub fn max_map_count_field(&self) -> String {
        match self.max_map_count_source {
            Source::System => self.max_map_count.to_string(),
            Source::Assumed => format!("{}(assumed)", self.max_map_count),
            Source::Environment => format!("{}({MAX_MAP_COUNT_ENV})", self.max_map_count),
        }
    }
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The number of threads on the system, from /proc/loadavg (`0.27 0.16 0.08 11/146 8961`).
fn tasks_in_loadavg(text: &str) -> Option<u64> {
    text.split_whitespace().nth(3)?.split_once('/')?.1.parse().ok()
}

/// The tasks the pids controller still allows this process's cgroup: `pids.max - pids.current`,
/// the least over the cgroup and its ancestors (each one's limit holds for all below it).
/// `cgroup_list` is /proc/self/cgroup; `root` is where cgroup file systems are mounted. Handles
/// the unified hierarchy (`0::/path`) and a v1 `pids` hierarchy (`N:pids:/path`).
fn cgroup_tasks_left(cgroup_list: &str, root: &Path) -> Option<u64> {
    let (base, path) = cgroup_list.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.split(',').any(|c| c == "pids") {
            Some((root.join("pids"), path))
        } else if controllers.is_empty() && root.join("cgroup.controllers").exists() {
            Some((root.to_path_buf(), path))
        } else {
            None
        }
    })?;
    let mut dir = base.join(path.trim_start_matches('/'));
    let mut least: Option<u64> = None;
    loop {
        let max = std::fs::read_to_string(dir.join("pids.max")).ok();
        let current = read_number(&dir.join("pids.current").to_string_lossy());
        if let (Some(max), Some(current)) = (max.and_then(|m| m.trim().parse::<u64>().ok()), current) {
            let free = max.saturating_sub(current);
            least = Some(least.map_or(free, |l| l.min(free)));
        }
        if dir == base || !dir.pop() {
            return least;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mmap_threshold_is_above_any_send_queue_within_glibc_bounds() {
        assert_eq!(mmap_threshold(4096), 4 << 20);
        assert_eq!(mmap_threshold(256 * 1024), 4 << 20);
        assert_eq!(mmap_threshold(4 << 20), 16 << 20);
        assert_eq!(mmap_threshold(1 << 30), 32 << 20);
        assert_eq!(mmap_threshold(usize::MAX), 32 << 20);
        assert!(set_mmap_threshold(mmap_threshold(256 * 1024)));
    }

    /// A roomy machine: 20,000 files, the default map count, nothing else tight.
    fn roomy() -> Limits {
        Limits {
            open_files: Some(20_000),
            fds_in_use: 6,
            max_map_count: 65_530,
            max_map_count_source: Source::System,
            maps_in_use: 50,
            system_tasks_max: Some(32_768),
            system_tasks_in_use: Some(150),
            user_tasks_max: None,
            own_tasks: 2,
            cgroup_tasks_left: None,
        }
    }

    fn allowance(capacity: &Capacity, bound: Bound) -> Allowance {
        capacity.allowances.iter().find(|(b, _)| *b == bound).unwrap().1
    }

    #[test]
    fn the_default_map_count_bounds_a_machine_with_many_files() {
        let capacity = Capacity::of(&roomy());
        // (65,530 - 50 in use - 4,095 kept free) / 4 per thread.
        assert_eq!(allowance(&capacity, Bound::Maps), Allowance::Clients(15_346));
        assert_eq!(capacity.reader_threads, 15_346);
        assert_eq!(capacity.clients, 15_346 - 15_346 / 64);
        assert_eq!(capacity.bound, Bound::Maps);
        assert_eq!(allowance(&capacity, Bound::Files), Allowance::Clients(20_000 - 6 - 64));
        assert_eq!(allowance(&capacity, Bound::Threads), Allowance::Clients(32_768 - 150 - 256 - 32));
        assert_eq!(allowance(&capacity, Bound::Nproc), Allowance::Unlimited);
        assert_eq!(allowance(&capacity, Bound::Tasks), Allowance::Unlimited);
        // Below the point where the server aborted (16,365 threads).
        assert!(capacity.reader_threads < 16_365);
    }

    #[test]
    fn the_smallest_bound_wins() {
        let files = Limits { open_files: Some(1024), ..roomy() };
        let capacity = Capacity::of(&files);
        assert_eq!((capacity.bound, capacity.clients), (Bound::Files, 1024 - 6 - 64));
        // Threads are not bounded by files.
        assert_eq!(capacity.reader_threads, 15_346);

        let tasks = Capacity::of(&Limits { cgroup_tasks_left: Some(4096 - 5), ..roomy() });
        assert_eq!(tasks.bound, Bound::Tasks);
        assert_eq!(tasks.reader_threads, 4091 - 32);
        assert_eq!(tasks.clients, 4059 - 4059 / 64);

        let nproc = Capacity::of(&Limits { user_tasks_max: Some(2000), own_tasks: 3, ..roomy() });
        assert_eq!((nproc.bound, nproc.reader_threads), (Bound::Nproc, 2000 - 3 - 32));

        let system =
            Capacity::of(&Limits { system_tasks_max: Some(10_000), system_tasks_in_use: Some(9_000), ..roomy() });
        assert_eq!((system.bound, system.reader_threads), (Bound::Threads, 10_000 - 9_000 - 256 - 32));
    }

    #[test]
    fn a_small_map_count_gives_a_small_capacity_and_exhausted_limits_give_none() {
        let small = Capacity::of(&Limits { max_map_count: 1200, maps_in_use: 60, ..roomy() });
        assert_eq!((small.bound, small.reader_threads, small.clients), (Bound::Maps, 29, 29));

        let none = Capacity::of(&Limits { max_map_count: 500, maps_in_use: 60, ..roomy() });
        assert_eq!((none.reader_threads, none.clients), (0, 0));
        let no_files = Capacity::of(&Limits { open_files: Some(50), ..roomy() });
        assert_eq!((no_files.bound, no_files.clients), (Bound::Files, 0));
    }

    #[test]
    fn unknown_limits_do_not_bound() {
        let limits = Limits { open_files: None, system_tasks_max: None, system_tasks_in_use: None, ..roomy() };
        let capacity = Capacity::of(&limits);
        assert_eq!(capacity.bound, Bound::Maps);
        assert_eq!(allowance(&capacity, Bound::Files), Allowance::Unlimited);
        assert_eq!(allowance(&capacity, Bound::Threads), Allowance::Unlimited);
        // threads-max known but not the system's use: this process's own threads are counted.
        let own = Capacity::of(&Limits { system_tasks_max: Some(1000), system_tasks_in_use: None, ..roomy() });
        assert_eq!(allowance(&own, Bound::Threads), Allowance::Clients(1000 - 2 - 256 - 32));
    }

    #[test]
    fn the_log_line_names_every_bound_and_where_the_map_count_came_from() {
        let limits = Limits { max_map_count: 1200, max_map_count_source: Source::Environment, ..roomy() };
        let fields = Capacity::of(&limits).log_fields(&limits);
        let line: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            line.join(" "),
            "clients=31 bound=maps files=19930 maps=31 threads=32330 nproc=unlimited tasks=unlimited \
             reader_threads=31 max_map_count=1200(CHATD_MAX_MAP_COUNT) maps_in_use=50"
        );
        let assumed = Limits { max_map_count_source: Source::Assumed, ..roomy() };
        assert_eq!(assumed.max_map_count_field(), "65530(assumed)");
    }

    #[test]
    fn the_system_task_count_comes_from_loadavg() {
        assert_eq!(tasks_in_loadavg("0.27 0.16 0.08 11/146 8961\n"), Some(146));
        assert_eq!(tasks_in_loadavg("garbage"), None);
    }

    #[test]
    fn cgroup_pid_limits_are_read_up_the_tree_in_both_hierarchies() {
        let root = std::env::temp_dir().join(format!("chatd-capacity-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let write = |dir: &Path, max: &str, current: &str| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("pids.max"), max).unwrap();
            std::fs::write(dir.join("pids.current"), current).unwrap();
        };
        // Unified hierarchy: the service's own limit is 4096 with 100 in use, its parent's
        // tighter (1000 with 950 used by everything below it).
        let unified = root.join("v2");
        std::fs::create_dir_all(&unified).unwrap();
        std::fs::write(unified.join("cgroup.controllers"), "pids memory\n").unwrap();
        write(&unified.join("system.slice"), "1000\n", "950\n");
        write(&unified.join("system.slice/chatd.service"), "4096\n", "100\n");
        let list = "0::/system.slice/chatd.service\n";
        assert_eq!(cgroup_tasks_left(list, &unified), Some(50));
        write(&unified.join("system.slice"), "max\n", "950\n");
        assert_eq!(cgroup_tasks_left(list, &unified), Some(3996));

        // A v1 pids hierarchy next to others.
        let v1 = root.join("v1");
        write(&v1.join("pids/user.slice"), "max\n", "7\n");
        write(&v1.join("pids/user.slice/session"), "300\n", "7\n");
        let list = "9:name=systemd:/\n8:pids:/user.slice/session\n4:memory:/x\n";
        assert_eq!(cgroup_tasks_left(list, &v1), Some(293));

        // No pids controller (this machine's case: v1 without it in the list, no v2 mount).
        assert_eq!(cgroup_tasks_left("4:memory:/x\n0::/\n", &v1), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
