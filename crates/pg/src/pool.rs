//! Connection-pool settings from the guide's `.env` variables
//! (`DATABASE_POOL_MIN`, `DATABASE_POOL_MAX`, `DATABASE_POOL_TIMEOUT` in milliseconds).

use std::time::Duration;

use serde::Serialize;

use crate::env::{lookup, DotEnv, Environment};
use crate::error::{Error, Result};

/// How many connections dbguard may hold and how long it waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolSettings {
    /// Connections kept open when idle.
    pub min: u32,
    /// Connections open at most.
    pub max: u32,
    /// How long to wait for a connection, in milliseconds; also the connect timeout.
    pub timeout_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            min: 1,
            max: 10,
            timeout_ms: 10_000,
        }
    }
}

impl PoolSettings {
    /// Reads the three variables, each optional; rejects values that are not
    /// numbers, a maximum of zero, or a minimum above the maximum.
    pub fn resolve(env: &dyn Environment, dotenv: &DotEnv) -> Result<PoolSettings> {
        let defaults = PoolSettings::default();
        let min = number(env, dotenv, "DATABASE_POOL_MIN")?.unwrap_or(defaults.min as u64);
        let max = number(env, dotenv, "DATABASE_POOL_MAX")?.unwrap_or(defaults.max as u64);
        let timeout_ms = number(env, dotenv, "DATABASE_POOL_TIMEOUT")?.unwrap_or(defaults.timeout_ms);
        let bad = |reason: String| Error::Config {
            origin: "DATABASE_POOL_MIN/DATABASE_POOL_MAX".to_string(),
            reason,
        };
        let max = u32::try_from(max).map_err(|_| bad(format!("maximum {max} is too large")))?;
        let min = u32::try_from(min).map_err(|_| bad(format!("minimum {min} is too large")))?;
        if max == 0 {
            return Err(bad("the maximum must be at least 1".into()));
        }
        if min > max {
            return Err(bad(format!("the minimum {min} is above the maximum {max}")));
        }
        if timeout_ms == 0 {
            return Err(Error::Config {
                origin: "DATABASE_POOL_TIMEOUT".to_string(),
                reason: "the timeout must be at least 1 millisecond".into(),
            });
        }
        Ok(PoolSettings { min, max, timeout_ms })
    }

    /// The timeout as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

fn number(env: &dyn Environment, dotenv: &DotEnv, key: &str) -> Result<Option<u64>> {
    let Some(resolved) = lookup(key, env, dotenv) else {
        return Ok(None);
    };
    resolved
        .value
        .trim()
        .parse::<u64>()
        .map(Some)
        .map_err(|_| Error::Config {
            origin: format!("{key} (from {})", resolved.origin),
            reason: format!("`{}` is not a whole number", resolved.value),
        })
}
