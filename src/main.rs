fn main() -> std::process::ExitCode {
    safetynet::cli::run()
}
