@main struct Vtap { static func main() {} }
