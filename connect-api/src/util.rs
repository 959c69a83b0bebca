//! Helpers for connector authors (Kafka's `ConnectorUtils`).

use crate::error::{ConnectError, Result};

/// Splits `elements` into `groups` contiguous groups as evenly as possible, for
/// dividing work (tables, files) among at most `tasks.max` tasks.
///
/// As in Kafka: the first `elements.len() % groups` groups get one more element than
/// the others, order is kept, and when there are fewer elements than groups the last
/// groups are empty. Zero groups is an error.
///
/// ```
/// use connect_api::util::group_partitions;
///
/// let groups = group_partitions(&[1, 2, 3, 4, 5], 3)?;
/// assert_eq!(groups, vec![vec![1, 2], vec![3, 4], vec![5]]);
/// assert_eq!(group_partitions(&["a"], 2)?, vec![vec!["a"], vec![]]);
/// assert!(group_partitions(&[1], 0).is_err());
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
pub fn group_partitions<T: Clone>(elements: &[T], groups: usize) -> Result<Vec<Vec<T>>> {
    if groups == 0 {
        return Err(ConnectError::config("Number of groups must be positive."));
    }
    let per_group = elements.len() / groups;
    let leftover = elements.len() % groups;
    let mut out = Vec::with_capacity(groups);
    let mut start = 0;
    for g in 0..groups {
        let size = per_group + usize::from(g < leftover);
        out.push(elements[start..start + size].to_vec());
        start += size;
    }
    Ok(out)
}

/// The task configs of a connector whose tasks are all alike (every sink of this
/// workspace): the connector's own config once per task, at least one task. `config`
/// is what `start` kept; `None` (asked before `start`) is an error naming `connector`.
///
/// ```
/// use connect_api::config::RawConfig;
/// use connect_api::util::same_config_per_task;
///
/// let config: RawConfig = [("topics".to_string(), "t".to_string())].into_iter().collect();
/// assert_eq!(same_config_per_task(Some(&config), 3, "MySink")?.len(), 3);
/// assert!(same_config_per_task(None, 3, "MySink").is_err());
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
pub fn same_config_per_task(
    config: Option<&crate::config::RawConfig>,
    max_tasks: usize,
    connector: &str,
) -> Result<Vec<crate::config::RawConfig>> {
    let config = config.ok_or_else(|| {
        ConnectError::fatal(format!("{connector} asked for task configs before start"))
    })?;
    Ok(vec![config.clone(); max_tasks.max(1)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_are_contiguous_and_balanced() {
        let v: Vec<i32> = (0..10).collect();
        let g = group_partitions(&v, 4).unwrap();
        assert_eq!(g, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7], vec![8, 9]]);
        assert_eq!(group_partitions::<i32>(&[], 2).unwrap(), vec![Vec::<i32>::new(), vec![]]);
    }

    proptest! {
        #[test]
        fn grouping_keeps_every_element_once_in_order(n in 0usize..50, groups in 1usize..12) {
            let v: Vec<usize> = (0..n).collect();
            let g = group_partitions(&v, groups).unwrap();
            prop_assert_eq!(g.len(), groups);
            let flat: Vec<usize> = g.iter().flatten().copied().collect();
            prop_assert_eq!(flat, v);
            let sizes: Vec<usize> = g.iter().map(Vec::len).collect();
            let max = sizes.iter().max().copied().unwrap_or(0);
            let min = sizes.iter().min().copied().unwrap_or(0);
            prop_assert!(max - min <= 1);
            prop_assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
        }
    }
}
