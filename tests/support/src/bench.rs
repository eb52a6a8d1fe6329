//! What the benchmarks share to tell the truth: every figure as min / median / max of its
//! runs, and a check that the machine is idle before a block of measurements (a figure taken
//! beside a compiler measures the compiler). Linux (`/proc`); elsewhere the check says so.

use std::fmt;
use std::time::Duration;

/// The spread of one figure over its runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub min: f64,
    pub median: f64,
    pub max: f64,
    pub runs: usize,
}

impl Summary {
    /// The summary of `samples` (`None` without any, or with a NaN among them). The median of
    /// an even count is the mean of the middle two.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Summary {
            min: sorted[0],
            median,
            max: sorted[n - 1],
            runs: n,
        })
    }

    /// The value at quantile `q` (0 to 1) of `samples`, nearest rank.
    pub fn quantile(samples: &[f64], q: f64) -> Option<f64> {
        if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = ((sorted.len() as f64 - 1.0) * q.clamp(0.0, 1.0)).round() as usize;
        Some(sorted[rank])
    }
}

impl fmt::Display for Summary {
    /// `min / median / max`, one decimal (the unit is the caller's).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} / {:.1} / {:.1}", self.min, self.median, self.max)
    }
}

/// The aggregate CPU counters of `/proc/stat` (clock ticks since boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    pub idle: u64,
    pub total: u64,
}

impl CpuTicks {
    /// Reads the `cpu` line of a `/proc/stat` text: idle is `idle` + `iowait`, total every
    /// field (guest time is already counted in user time and is left out).
    pub fn parse(proc_stat: &str) -> Option<CpuTicks> {
        let line = proc_stat
            .lines()
            .find(|l| l.split_whitespace().next() == Some("cpu"))?;
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        if fields.len() < 4 {
            return None;
        }
        let idle = fields[3] + fields.get(4).copied().unwrap_or(0);
        let total = fields.iter().take(8).sum();
        Some(CpuTicks { idle, total })
    }

    /// The share of the machine's CPU time that was idle between `self` and `later`.
    pub fn idle_share_until(self, later: CpuTicks) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        let idle = later.idle.checked_sub(self.idle)?;
        (total > 0).then(|| idle as f64 / total as f64)
    }
}

/// The 1-minute load average of a `/proc/loadavg` text.
pub fn load_1min(proc_loadavg: &str) -> Option<f64> {
    proc_loadavg.split_whitespace().next()?.parse().ok()
}

/// How loaded the machine was just before a block of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// The 1-minute load average.
    pub load_1min: f64,
    /// The share of CPU time idle over the sampling interval.
    pub idle_share: f64,
}

/// Above this 1-minute load the machine is busy: another process is running most of the time.
pub const BUSY_LOAD: f64 = 0.5;
/// Below this idle share over the sample the machine is busy (the load average lags).
pub const BUSY_IDLE: f64 = 0.90;

impl Load {
    /// Samples `/proc/stat` over `interval` and reads `/proc/loadavg` (`None` without `/proc`).
    pub fn sample(interval: Duration) -> Option<Load> {
        let before = CpuTicks::parse(&std::fs::read_to_string("/proc/stat").ok()?)?;
        std::thread::sleep(interval);
        let after = CpuTicks::parse(&std::fs::read_to_string("/proc/stat").ok()?)?;
        Some(Load {
            load_1min: load_1min(&std::fs::read_to_string("/proc/loadavg").ok()?)?,
            idle_share: before.idle_share_until(after)?,
        })
    }

    /// Why the machine is too busy to measure on, if it is.
    pub fn busy(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.load_1min > BUSY_LOAD {
            why.push(format!(
                "1-minute load {:.2} (above {BUSY_LOAD})",
                self.load_1min
            ));
        }
        if self.idle_share < BUSY_IDLE {
            why.push(format!(
                "CPU {:.0} % idle (below {:.0} %)",
                self.idle_share * 100.0,
                BUSY_IDLE * 100.0
            ));
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_has_the_extremes_and_the_middle() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.min, s.median, s.max, s.runs), (1.0, 3.0, 5.0, 3));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert_eq!(even.to_string(), "1.0 / 2.5 / 4.0");
    }

    #[test]
    fn no_samples_or_a_nan_make_no_summary() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
        assert_eq!(Summary::quantile(&[], 0.5), None);
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Summary::quantile(&v, 0.95), Some(95.0));
        assert_eq!(Summary::quantile(&v, 0.0), Some(1.0));
        assert_eq!(Summary::quantile(&v, 2.0), Some(100.0));
    }

    const STAT: &str = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2\n";

    #[test]
    fn proc_stat_gives_idle_and_total_ticks() {
        assert_eq!(
            CpuTicks::parse(STAT),
            Some(CpuTicks {
                idle: 820,
                total: 980
            })
        );
        assert_eq!(CpuTicks::parse("cpu0 1 2 3 4\n"), None, "no aggregate line");
        assert_eq!(CpuTicks::parse("cpu 1 2 x 4\n"), None);
        assert_eq!(CpuTicks::parse("cpu 1 2 3\n"), None);
    }

    #[test]
    fn the_idle_share_is_of_the_interval() {
        let before = CpuTicks {
            idle: 800,
            total: 1000,
        };
        let later = CpuTicks {
            idle: 850,
            total: 1200,
        };
        assert_eq!(before.idle_share_until(later), Some(0.25));
        assert_eq!(before.idle_share_until(before), None, "no time passed");
        assert_eq!(later.idle_share_until(before), None, "counters went back");
    }

    #[test]
    fn the_load_average_is_its_first_field() {
        assert_eq!(load_1min("0.42 1.75 2.30 3/512 12345\n"), Some(0.42));
        assert_eq!(load_1min(""), None);
    }

    #[test]
    fn a_machine_is_busy_by_load_or_by_idle_time() {
        let idle = Load {
            load_1min: 0.1,
            idle_share: 0.98,
        };
        assert_eq!(idle.busy(), None);
        let loaded = Load {
            load_1min: 2.2,
            idle_share: 0.98,
        };
        assert!(loaded.busy().unwrap().contains("load 2.20"));
        let working = Load {
            load_1min: 0.1,
            idle_share: 0.4,
        };
        assert!(working.busy().unwrap().contains("40 % idle"));
    }
}
