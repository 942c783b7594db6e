fn main() -> std::process::ExitCode {
    showroom::cli::main()
}
