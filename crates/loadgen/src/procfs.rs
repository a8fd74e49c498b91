//! The measured service as Linux shows it under `/proc`: its CPU time (`/proc/<pid>/stat`,
//! utime + stime), its resident memory (`VmRSS` in `/proc/<pid>/status`), and, when no pid is
//! given, the process listening on a port (`/proc/net/tcp{,6}` gives the socket's inode, and the
//! process holding `socket:[inode]` among its `/proc/<pid>/fd` links is the one).
//!
//! The parsers are plain functions over the files' text, unit-tested on samples.

use std::time::Duration;

/// Clock ticks per second of the times in `/proc/<pid>/stat` (`USER_HZ`): 100 on every Linux
/// architecture the services run on (the kernel exports times in this unit whatever `HZ` is).
pub const USER_HZ: u64 = 100;

/// utime + stime, in clock ticks, from the text of `/proc/<pid>/stat`. The command name (field 2)
/// is in parentheses and may hold spaces and `)`, so fields are counted after the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in KiB from the text of `/proc/<pid>/status`.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let value = parts.next()?.parse().ok()?;
    (parts.next() == Some("kB")).then_some(value)
}

/// The inodes of the sockets listening on `port` in the text of `/proc/net/tcp` or `tcp6`.
pub fn listening_inodes(net_tcp: &str, port: u16) -> Vec<u64> {
    const LISTEN: &str = "0A";
    net_tcp
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit_once(':')?.1;
            let listening = u16::from_str_radix(local_port, 16).ok()? == port && *f.get(3)? == LISTEN;
            listening.then(|| f.get(9)?.parse().ok()).flatten()
        })
        .filter(|inode| *inode != 0)
        .collect()
}

/// The inode of a `/proc/<pid>/fd/<n>` link target `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// A process being measured.
#[derive(Debug, Clone, Copy)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
}

impl Process {
    /// CPU time spent so far (user + system, all threads).
    pub fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        let ticks = cpu_ticks(&stat)?;
        Some(Duration::from_millis(ticks * 1000 / USER_HZ))
    }

    /// Resident memory now, KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        vm_rss_kib(&std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?)
    }

    /// The process that listens on `port` (on any address), other than this one.
    pub fn listening_on(port: u16) -> Option<Self> {
        let inodes: Vec<u64> = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .flat_map(|text| listening_inodes(&text, port))
            .collect();
        if inodes.is_empty() {
            return None;
        }
        let me = std::process::id();
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if pid == me {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else { continue };
            for fd in fds.flatten() {
                let target = std::fs::read_link(fd.path()).ok();
                let inode = target.as_ref().and_then(|t| t.to_str()).and_then(socket_inode);
                if inode.is_some_and(|i| inodes.contains(&i)) {
                    return Some(Self { pid });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_count_fields_after_the_command_name_even_with_spaces_and_parens() {
        let stat = "4242 (tokio (rt) w) S 1 4242 4242 0 -1 4194560 5000 0 0 0 731 269 0 0 20 0 3 0 12345 \
                    1000000 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(cpu_ticks(stat), Some(1000));
        assert_eq!(cpu_ticks("4242 (short) S 1 2"), None);
        assert_eq!(cpu_ticks("no parens at all"), None);
    }

    #[test]
    fn rss_is_read_in_kib() {
        let status = "Name:\tsessions\nVmPeak:\t  300000 kB\nVmRSS:\t   12840 kB\nThreads:\t4\n";
        assert_eq!(vm_rss_kib(status), Some(12840));
        assert_eq!(vm_rss_kib("Name:\tkthreadd\nThreads:\t1\n"), None, "kernel threads have no VmRSS");
        assert_eq!(vm_rss_kib("VmRSS:\t12 MB\n"), None);
    }

    #[test]
    fn listening_sockets_are_found_by_port_in_ipv4_and_ipv6_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F93 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51234 1 0000000000000000 100 0 0 10 0\n\
   1: 0100007F:1F93 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 51299 1 0000000000000000 20 4 30 10 -1\n\
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(tcp, 8083), vec![51234], "the established connection is not the listener");
        assert_eq!(listening_inodes(tcp, 22), vec![1111]);
        assert!(listening_inodes(tcp, 8082).is_empty());
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000000000000000000001000000:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(tcp6, 8083), vec![777]);
    }

    #[test]
    fn socket_links_give_their_inode() {
        assert_eq!(socket_inode("socket:[51234]"), Some(51234));
        assert_eq!(socket_inode("pipe:[51234]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn this_process_reads_its_own_cpu_and_rss() {
        let me = Process { pid: std::process::id() };
        assert!(me.rss_kib().is_some_and(|kib| kib > 0));
        assert!(me.cpu().is_some());
    }

    #[test]
    fn the_listener_of_a_port_is_found_but_never_this_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // The only listener is this test process, which is skipped on purpose.
        assert!(Process::listening_on(port).is_none());
    }

    #[test]
    fn the_listener_of_a_port_in_another_process_is_found() {
        use std::io::BufRead as _;
        let script = "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n\
                      print(s.getsockname()[1], flush=True)\ntime.sleep(30)";
        let Ok(mut child) =
            std::process::Command::new("python3").args(["-c", script]).stdout(std::process::Stdio::piped()).spawn()
        else {
            eprintln!("skipped: python3 not found (the_listener_of_a_port_in_another_process_is_found)");
            return;
        };
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap();
        let found = Process::listening_on(port).map(|p| p.pid);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found, Some(child.id()));
    }
}
