//! `dbguard serve [--port N]`: the dashboard of this project, for a person.
//! It is refused when an AI agent runs it (it would be handed the URL with
//! the access token), and approving in it still needs `YES` and the
//! approver's passphrase.

use std::io::Write;
use std::process::ExitCode;

use dbguard_pg::health::Check;
use dbguard_pg::{DbUrl, Settings};
use dbguard_serve::{Dashboard, Server, Sources};

use crate::args::HealthArgs;

/// The target and the health checks, as the cli's commands find them.
struct Project {
    settings: Settings,
}

impl Sources for Project {
    fn target(&self) -> anyhow::Result<DbUrl> {
        super::target_url(&self.settings)
    }

    fn health(&self) -> Vec<Check> {
        super::health::checks(&self.settings, &HealthArgs::default())
    }
}

/// Serves until interrupted.
pub fn run(settings: Settings, port: u16) -> anyhow::Result<ExitCode> {
    if let Some(variable) = dbguard_guard::agent::detected() {
        eprintln!(
            "Refused: the dashboard is for a person, not for an AI agent ({variable} is set); start it in your own \
             terminal."
        );
        return Ok(ExitCode::from(4));
    }
    let dashboard = Dashboard {
        approver_dir: super::protocol::approver_dir()?,
        sources: Box::new(Project {
            settings: settings.clone(),
        }),
        settings,
    };
    let server = Server::bind(dashboard, port)?;
    eprintln!(
        "dbguard dashboard on 127.0.0.1:{} (Ctrl-C stops it); open this URL, which holds its access token:",
        server.port()
    );
    println!("{}", server.url());
    std::io::stdout().flush().ok();
    server.run()?;
    Ok(ExitCode::SUCCESS)
}
