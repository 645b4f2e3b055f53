//! The real Prisma CLI, for tests: Prisma 6.19.3 with its bundled Wasm
//! schema engine, through the `pg` driver adapter (Prisma 7 always
//! downloads a native engine, which these machines cannot reach). Installed
//! once from the npm registry into a cache folder under `target/`, shared
//! by every test process (a lock file keeps two from installing at once);
//! offline after the first run.

use std::path::{Path, PathBuf};

/// The pinned packages.
pub const PACKAGES: &[&str] = &["prisma@6.19.3", "@prisma/adapter-pg@7.10.1", "pg@8.23.1"];

/// `prisma.config.ts`: the driver adapter, without a native engine; its
/// client reports PostgreSQL's internal `"char"` type as text, which
/// adapter-pg otherwise rejects when `db push` introspects.
const CONFIG: &str = r#"import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

// adapter-pg rejects PostgreSQL's internal "char" type (OID 18), which the
// schema engine's introspection reads; report it as text.
class CharAsText extends pg.Client {
  query(...args: any[]): any {
    const fix = (r: any) => {
      for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25
      return r
    }
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null
    if (cb) return (super.query as any)(...args, (e: any, r: any) => cb(e, e ? r : fix(r)))
    const out = (super.query as any)(...args)
    return out && typeof out.then === 'function' ? out.then(fix) : out
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL, Client: CharAsText } as any)
  },
})
"#;

/// The folder holding `node_modules` with the pinned Prisma.
///
/// # Panics
/// When npm is missing or the registry cannot be reached on the first run;
/// the message says which.
pub fn installed() -> PathBuf {
    crate::cache::npm("prisma-6.19.3", PACKAGES, "the Prisma tests")
}

/// A Prisma project in `dir`: the config, `schema` as `prisma/schema.prisma`,
/// and `node_modules` linked to the installed Prisma.
pub fn project(dir: &Path, schema: &str) {
    let node_modules = installed().join("node_modules");
    std::fs::create_dir_all(dir.join("prisma/migrations")).expect("prisma/migrations");
    std::fs::write(dir.join("prisma.config.ts"), CONFIG).expect("prisma.config.ts");
    std::fs::write(dir.join("prisma/schema.prisma"), schema).expect("schema.prisma");
    std::fs::write(
        dir.join("prisma/migrations/migration_lock.toml"),
        "provider = \"postgresql\"\n",
    )
    .expect("migration_lock.toml");
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"app","version":"1.0.0","private":true}"#,
    )
    .expect("package.json");
    let link = dir.join("node_modules");
    if !link.exists() {
        std::os::unix::fs::symlink(node_modules, link).expect("node_modules");
    }
}

/// The environment every Prisma command of the tests runs with.
pub const ENV: &[(&str, &str)] = &[
    ("PRISMA_CLIENT_ENGINE_TYPE", "client"),
    ("CHECKPOINT_DISABLE", "1"),
];
