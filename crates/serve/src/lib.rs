//! `dbguard serve`: a local dashboard of one project (approvals, backups,
//! health, integrity, the audit log, incidents) and a JSON API with the shapes of the
//! cli's `--format json`, described at `/api/openapi.json`.
//!
//! The server is [axum] on tokio: well kept, built on hyper, and its
//! middleware (one function here, [`auth::guard`]) sees every request, so
//! the access checks cannot be forgotten on a route. Pages are rendered on
//! the server with [maud]: templates are Rust code checked at compile
//! time, and every value spliced into a page is HTML-escaped unless it is
//! explicitly marked as markup, so an operation's text (written by an
//! agent) cannot inject anything. The only script is one static file that
//! reloads the health page.
//!
//! The security model is in [`auth`]: loopback only, a random token in the
//! one URL printed at start, a session cookie, a CSRF token on every form,
//! an Origin and Host check, a strict Content-Security-Policy.

mod api;
mod assets;
mod auth;
mod layout;
mod openapi;
mod pages;
mod paging;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use dbguard_guard::approver::ApproverDir;
use dbguard_pg::health::Check;
use dbguard_pg::{DbUrl, Settings};

pub use auth::Secrets;

/// What the dashboard needs from the program that runs it.
pub trait Sources: Send + Sync {
    /// The target database's URL (dbguard's local server may be started).
    fn target(&self) -> anyhow::Result<DbUrl>;
    /// Every check of `dbguard health`.
    fn health(&self) -> Vec<Check>;
}

/// One project's dashboard.
pub struct Dashboard {
    /// The project's settings.
    pub settings: Settings,
    /// Where the approver lives.
    pub approver_dir: ApproverDir,
    /// The target and the health checks.
    pub sources: Box<dyn Sources>,
}

/// Everything a request handler sees.
pub(crate) struct AppState {
    pub dashboard: Dashboard,
    pub secrets: Secrets,
    pub port: u16,
    pub audit: pages::audit::Cache,
}

/// A dashboard bound to a loopback port, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Server {
    /// Binds `dashboard` to 127.0.0.1:`port` (0: any free port), with new secrets.
    pub fn bind(dashboard: Dashboard, port: u16) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(AppState {
            dashboard,
            secrets: Secrets::new()?,
            port,
            audit: Default::default(),
        });
        Ok(Server { listener, state })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.state.port
    }

    /// The one URL that opens the dashboard: it holds the access token, so
    /// it is shown once, to the person who started the server.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/?token={}",
            self.state.port,
            self.state.secrets.token()
        )
    }

    /// Serves until the process ends.
    pub fn run(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            // The audit log is read once now, so that its first page need not.
            let warm = self.state.clone();
            tokio::task::spawn_blocking(move || pages::audit::read(&warm));
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            axum::serve(listener, router(self.state)).await?;
            Ok(())
        })
    }
}

/// Every route, behind the access checks.
fn router(state: Arc<AppState>) -> axum::Router {
    axum::Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard))
        .with_state(state)
}

/// Runs `work` (files, PostgreSQL: blocking) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce(&AppState) -> T + Send + 'static,
) -> T {
    let state = state.clone();
    tokio::task::spawn_blocking(move || work(&state))
        .await
        .expect("a dashboard task panicked")
}
