// In-process C -> BPF object compilation through clang's C++ API.
// Plain C so Swift imports it without C++ interop.
#ifndef VTAP_CLANG_H
#define VTAP_CLANG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A file served from memory; the compiler sees nothing else.
typedef struct vtap_clang_file {
    const char *path;
    const char *contents;
    size_t length;
} vtap_clang_file;

enum vtap_clang_status {
    VTAP_CLANG_OK = 0,
    /// The C did not compile; `diagnostics` says why.
    VTAP_CLANG_ERRORS = 1,
    /// The arguments were rejected or clang itself failed.
    VTAP_CLANG_INTERNAL = 2,
};

typedef struct vtap_clang_output {
    unsigned char *object;
    size_t object_size;
    /// clang's diagnostics as text, NUL-terminated; empty when there were none.
    char *diagnostics;
    int status;
} vtap_clang_output;

/// Compiles `main_path` (one of `files`) with the given cc1 arguments, which
/// must not name an input or output file. The result lives until
/// `vtap_clang_output_free`.
void vtap_clang_compile(const char *main_path, const vtap_clang_file *files, size_t file_count,
                        const char *const *arguments, size_t argument_count,
                        vtap_clang_output *out);

void vtap_clang_output_free(vtap_clang_output *out);

/// The version of the linked clang, e.g. "14.0.6".
const char *vtap_clang_version(void);

#ifdef __cplusplus
}
#endif

#endif
