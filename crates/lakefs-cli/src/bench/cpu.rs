//! CPU seconds used by this process (and its reaped children), from `/proc/self/stat` on
//! Linux (in clock ticks of 1/100 s, `USER_HZ`); unknown elsewhere.

/// CPU time so far: this process's, and its waited-for children's.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuTime {
    pub(crate) own: f64,
    pub(crate) children: f64,
}

/// The CPU time so far, if the platform tells.
pub(crate) fn now() -> Option<CpuTime> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name (field 2) is in parentheses and may hold spaces: count from its end.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
        // Fields 14–17: utime, stime, cutime, cstime (1-based, in the whole line).
        let own = ticks(11)? + ticks(12)?;
        let children = ticks(13)? + ticks(14)?;
        Some(CpuTime {
            own: own / 100.0,
            children: children / 100.0,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn reads_cpu_time() {
        let before = super::now().unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        let after = super::now().unwrap();
        assert!(after.own >= before.own);
    }
}
