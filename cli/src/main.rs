//! `dsplay`: run and sweep dsplay scenarios from the command line (see the library,
//! src/lib.rs, for the commands).

use dsplay_cli::{err_line, install_panic_hook, run, Disk, Io};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    install_panic_hook();
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut argv = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => argv.push(s),
            Err(a) => {
                err_line(&mut err, &format!("argument {a:?} is not valid UTF-8"));
                return ExitCode::from(2);
            }
        }
    }
    let mut io = Io {
        out: &mut std::io::stdout().lock(),
        err: &mut err,
        input: &mut std::io::stdin().lock(),
        files: &mut Disk,
        tty: stderr.is_terminal(),
    };
    ExitCode::from(run(argv, &mut io))
}
