//! Credential-bearing text of every shape dbguard must never print: URLs
//! with and without a proper scheme, key=value connection strings,
//! `PGPASSWORD=`, `--password=`, `.pgpass` lines, percent-encoded passwords.
//! Property tests feed these through each entry point and look for the
//! password in everything that comes out.

/// One credential-bearing text and how it may appear on a command line.
#[derive(Debug, Clone)]
pub struct Shape {
    /// What this shape is, for failure messages.
    pub name: &'static str,
    /// The text holding the password.
    pub text: String,
    /// A shell command line carrying it.
    pub command_line: String,
}

/// Percent-encodes every byte that is not unreserved in a URL.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every shape for `user`, `password` and `host`. `password` should hold no
/// white space, quote or backslash (the shapes quote it for the shell).
pub fn shapes(user: &str, password: &str, host: &str) -> Vec<Shape> {
    let encoded = percent_encode(password);
    let url_shapes = [
        ("url", format!("postgresql://{user}:{encoded}@{host}:5432/farm")),
        (
            "url with a raw password",
            format!("postgres://{user}:{password}@{host}/farm"),
        ),
        (
            "url with query password",
            format!("postgresql://{user}@{host}/farm?sslmode=prefer&password={encoded}"),
        ),
        (
            "scheme without colon",
            format!("postgres//{user}:{password}@{host}/farm"),
        ),
        (
            "scheme with one slash",
            format!("postgresql:/{user}:{password}@{host}/farm"),
        ),
        ("no scheme", format!("{user}:{password}@{host}/farm")),
        ("only slashes", format!("//{user}:{encoded}@{host}/farm")),
        (
            "scheme and colon",
            format!("postgresql:{user}:{password}@{host}/farm"),
        ),
        (
            "key=value",
            format!("host={host} user={user} password={password} dbname=farm"),
        ),
        (
            "key=value quoted",
            format!("host={host} user={user} password='{password} x' dbname=farm"),
        ),
    ];
    let mut shapes: Vec<Shape> = url_shapes
        .into_iter()
        .map(|(name, text)| Shape {
            name,
            command_line: format!("psql \"{text}\" -c \"drop table x\""),
            text,
        })
        .collect();
    let pgpassword = format!("PGPASSWORD={password}");
    shapes.push(Shape {
        name: "PGPASSWORD",
        command_line: format!("{pgpassword} psql -h {host} -U {user} farm -c 'drop table x'"),
        text: pgpassword.clone(),
    });
    shapes.push(Shape {
        name: "env PGPASSWORD",
        command_line: format!("env PGPASSWORD=\"{password}\" psql -h {host} -U {user} farm -c 'truncate x'"),
        text: format!("PGPASSWORD=\"{password}\""),
    });
    let flag = format!("--password={password}");
    shapes.push(Shape {
        name: "--password=",
        command_line: format!("some-tool {flag} --host {host} drop"),
        text: flag,
    });
    let pgpass = format!("{host}:5432:farm:{user}:{password}");
    shapes.push(Shape {
        name: ".pgpass line",
        command_line: format!("echo '{pgpass}' >> ~/.pgpass && psql -h {host} farm -c 'drop table x'"),
        text: pgpass,
    });
    shapes
}

/// The forms in which `password` would be a leak: as given, and percent-encoded.
pub fn leaked_forms(password: &str) -> Vec<String> {
    let mut forms = vec![password.to_string(), percent_encode(password)];
    forms.dedup();
    forms
}
