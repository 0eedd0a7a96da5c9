import COpenSSL

/// SHA-256 as lowercase hex, the form `sha256sum` prints.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = bytes.withUnsafeBytes { data in
        EVP_Digest(data.baseAddress, data.count, &digest, &length, EVP_sha256(), nil)
    }
    precondition(ok == 1, "EVP_Digest(SHA-256) failed")
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in digest.prefix(Int(length)) {
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
