//! The C functions dbguard loads into its own PostgreSQL server.
//!
//! One for now: the row guard (`guard_rows.c`), the C form of the
//! PL/pgSQL trigger function `dbguard.guard_rows()` that `dbguard protect`
//! installs: executor hooks that count the rows each command deletes or
//! updates in guarded tables, and the function of the BEFORE statement
//! triggers that mark a table guarded. A server loads a C function only
//! from a module built for its major version, and only a superuser may
//! declare one, so the module is for dbguard's own server:
//! [`dbguard_pg::local`] writes it beside the cluster, puts its folder on
//! the server's `dynamic_library_path` and names it in
//! `session_preload_libraries`, and `protect` declares the function when
//! the server can load it (hosted servers keep the PL/pgSQL guard).
//!
//! The build (`build.rs`) compiles the module against every set of
//! PostgreSQL server headers on the machine.

/// A compiled module for one PostgreSQL major version.
#[derive(Debug, Clone, Copy)]
pub struct Library {
    /// The PostgreSQL major version it was built for (its magic block
    /// makes any other version refuse to load it).
    pub major: u32,
    /// The shared object itself.
    pub bytes: &'static [u8],
}

/// The file name the module is written under, and the name
/// (`dynamic_library_path` finds it) the functions are declared with.
pub const MODULE: &str = "dbguard_guard";

/// The C symbol of the row guard.
pub const ROW_GUARD_SYMBOL: &str = "dbguard_guard_rows";

/// Every module this build made, one per major version.
pub const LIBRARIES: &[Library] = include!(concat!(env!("OUT_DIR"), "/libraries.rs"));

/// The module built for PostgreSQL `major`, if any.
pub fn library_for(major: u32) -> Option<&'static Library> {
    LIBRARIES.iter().find(|l| l.major == major)
}
