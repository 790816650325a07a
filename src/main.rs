use clap::Parser;

fn main() {
    let cli = stackwright::cli::Cli::parse();
    std::process::exit(stackwright::run(cli));
}
