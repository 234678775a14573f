//! One-row sparklines as text (`▁▂▃▄▅▆▇█`), for the list's trend column and the GPU pane: the
//! newest value at the right, a blank where there is no sample yet. O(width).

/// The eight heights of a cell, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `width` cells of the values given newest first, each scaled against `max` (a value at or
/// above it is a full block; any sample is at least the lowest block, so it reads as one).
pub fn blocks(newest_first: impl Iterator<Item = f64>, max: f64, width: usize) -> String {
    let mut cells: Vec<char> = newest_first
        .take(width)
        .map(|v| {
            let share = if max > 0.0 {
                (v / max).clamp(0.0, 1.0)
            } else {
                0.0
            };
            BLOCKS[((share * 7.0).round() as usize).min(7)]
        })
        .collect();
    cells.resize(width, ' ');
    cells.into_iter().rev().collect()
}

/// The scale of a CPU chart: 100 %, or the highest value drawn when a container used more than
/// one core.
pub fn cpu_max(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(100.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_at_the_right_blank_before_the_first_sample() {
        let s = blocks([100.0, 50.0, 0.0].into_iter(), 100.0, 5);
        assert_eq!(s, "  ▁▅█");
        assert_eq!(blocks([7.0; 9].into_iter(), 0.0, 3), "▁▁▁");
        assert_eq!(blocks(std::iter::empty(), 100.0, 2), "  ");
        assert_eq!(cpu_max([30.0, 250.0].into_iter()), 250.0);
    }
}
