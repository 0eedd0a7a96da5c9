// OpenSSL's libcrypto from Debian's libssl-dev: SHA-256 of objects and rules files.
#include <openssl/evp.h>
