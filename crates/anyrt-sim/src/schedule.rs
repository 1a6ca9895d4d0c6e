//! [`Schedule`]: a simulation's run as data (its seed and every scheduling decision), its
//! replay token, and shrinking a failing one.

use std::fmt;
use std::str::FromStr;

/// A simulation's run: the seed and the index picked among the ready tasks at each step (0
/// is the task woken first). Replayed with [`Runtime::replay`](crate::Runtime::replay), the
/// same program gives the same run.
///
/// Its [`Display`](fmt::Display) is the replay token printed as `ANYRT_SIM_REPLAY=<token>`:
/// the seed and the decisions that are not 0, in hex (`STEP=PICK`, or `FIRST-LAST=PICK`
/// for a run of equal ones).
///
/// ```
/// use anyrt_sim::Schedule;
///
/// let s = Schedule::new(42, vec![0, 2, 0, 0, 1, 1, 1]);
/// assert_eq!(s.to_string(), "2a:1=2,4-6=1");
/// assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
/// assert_eq!(s.deviations(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schedule {
    pub(crate) seed: u64,
    pub(crate) decisions: Vec<u32>,
}

impl Schedule {
    /// A schedule of `seed` with these decisions (trailing zeros are dropped: past the end
    /// every decision is 0).
    pub fn new(seed: u64, mut decisions: Vec<u32>) -> Schedule {
        while decisions.last() == Some(&0) {
            decisions.pop();
        }
        Schedule { seed, decisions }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The decisions, up to the last that is not 0.
    pub fn decisions(&self) -> &[u32] {
        &self.decisions
    }

    /// The number of decisions that deviate from running the task woken first.
    pub fn deviations(&self) -> usize {
        self.decisions.iter().filter(|&&d| d != 0).count()
    }

    /// Shrinks a failing schedule: tries setting its deviations back to 0, in halves, then
    /// quarters, down to one at a time, keeping every change after which `fails` still says
    /// so, at most `max_runs` tries. `fails` runs the program under a schedule and gives the
    /// schedule the run really took (a replay can take fewer steps) if it failed.
    pub fn shrink(
        &self,
        max_runs: usize,
        mut fails: impl FnMut(&Schedule) -> Option<Schedule>,
    ) -> Schedule {
        let mut best = Schedule::new(self.seed, self.decisions.clone());
        let mut runs = 0;
        let mut chunk = best.deviations().div_ceil(2).max(1);
        while runs < max_runs && best.deviations() > 0 {
            let positions: Vec<usize> = (0..best.decisions.len())
                .filter(|&i| best.decisions[i] != 0)
                .collect();
            let mut improved = false;
            for window in positions.chunks(chunk) {
                if runs >= max_runs {
                    break;
                }
                let mut candidate = best.decisions.clone();
                for &i in window {
                    candidate[i] = 0;
                }
                runs += 1;
                if let Some(taken) = fails(&Schedule::new(self.seed, candidate)) {
                    // What the run took, which may be shorter still.
                    let taken = Schedule::new(self.seed, taken.decisions);
                    if taken.deviations() < best.deviations() {
                        best = taken;
                        improved = true;
                        break;
                    }
                }
            }
            if !improved {
                if chunk == 1 {
                    break;
                }
                chunk = chunk.div_ceil(2);
            }
        }
        best
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}:", self.seed)?;
        let mut first = true;
        let mut i = 0;
        while i < self.decisions.len() {
            let d = self.decisions[i];
            // A run of equal decisions is written once, as `FIRST-LAST=PICK`.
            let mut last = i;
            while self.decisions.get(last + 1) == Some(&d) {
                last += 1;
            }
            if d != 0 {
                let sep = if first { "" } else { "," };
                if last > i {
                    write!(f, "{sep}{i:x}-{last:x}={d:x}")?;
                } else {
                    write!(f, "{sep}{i:x}={d:x}")?;
                }
                first = false;
            }
            i = last + 1;
        }
        Ok(())
    }
}

/// The error of parsing a replay token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScheduleError(String);

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a replay token ({}): expected SEED:STEP=PICK,... in hex, as printed after \
             ANYRT_SIM_REPLAY=",
            self.0
        )
    }
}

impl std::error::Error for ParseScheduleError {}

impl FromStr for Schedule {
    type Err = ParseScheduleError;

    fn from_str(token: &str) -> Result<Schedule, ParseScheduleError> {
        let err = |what: &str| ParseScheduleError(format!("{what} in {token:?}"));
        let (seed, rest) = token.trim().split_once(':').ok_or_else(|| err("no `:`"))?;
        let seed = u64::from_str_radix(seed, 16).map_err(|_| err("a bad seed"))?;
        let mut decisions = Vec::new();
        for pair in rest.split(',').filter(|p| !p.is_empty()) {
            let (steps, d) = pair
                .split_once('=')
                .ok_or_else(|| err("a step without `=`"))?;
            let (first, last) = steps.split_once('-').unwrap_or((steps, steps));
            let step = |s: &str| usize::from_str_radix(s, 16).map_err(|_| err("a bad step"));
            let (first, last) = (step(first)?, step(last)?);
            let d = u32::from_str_radix(d, 16).map_err(|_| err("a bad pick"))?;
            if last > 10_000_000 || first > last {
                return Err(err("a bad range of steps"));
            }
            if decisions.len() <= last {
                decisions.resize(last + 1, 0);
            }
            decisions[first..=last].fill(d);
        }
        Ok(Schedule::new(seed, decisions))
    }
}

#[cfg(test)]
mod tests {
    use super::Schedule;

    #[test]
    fn tokens_round_trip_and_bad_ones_say_why() {
        for s in [
            Schedule::new(0, vec![]),
            Schedule::new(u64::MAX, vec![3, 0, 0, 7]),
            Schedule::new(5, vec![1, 1, 1, 0, 2, 2]),
        ] {
            assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
        }
        let err = "xyz".parse::<Schedule>().unwrap_err().to_string();
        assert!(err.contains("ANYRT_SIM_REPLAY"), "{err}");
        assert!("1:2".parse::<Schedule>().is_err());
    }

    #[test]
    fn shrinking_keeps_only_the_deviations_the_failure_needs() {
        // Fails when decision 5 is 2 and decision 9 is not 0.
        let fails = |s: &Schedule| {
            let d = |i: usize| s.decisions().get(i).copied().unwrap_or(0);
            (d(5) == 2 && d(9) != 0).then(|| s.clone())
        };
        let start = Schedule::new(1, vec![1, 3, 1, 2, 1, 2, 1, 1, 4, 1, 2, 3]);
        assert!(fails(&start).is_some());
        let small = start.shrink(200, fails);
        assert_eq!(small.deviations(), 2, "{small}");
        assert!(fails(&small).is_some());
    }
}
