fn main() {
    dsplay_web::panic::install();
    dsplay_web::start();
}
