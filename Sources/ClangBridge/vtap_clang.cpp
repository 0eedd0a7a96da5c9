// Hermetic in-process compile: sources and headers come from an in-memory
// file system, diagnostics go to a string, the object to a memory buffer.
#include "vtap_clang.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/Support/CrashRecoveryContext.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
void LLVMInitializeBPFTargetInfo(void);
void LLVMInitializeBPFTarget(void);
void LLVMInitializeBPFTargetMC(void);
void LLVMInitializeBPFAsmPrinter(void);
void LLVMInitializeBPFAsmParser(void);
}

namespace {

void initializeBPFTarget() {
    static std::once_flag once;
    std::call_once(once, [] {
        LLVMInitializeBPFTargetInfo();
        LLVMInitializeBPFTarget();
        LLVMInitializeBPFTargetMC();
        LLVMInitializeBPFAsmPrinter();
        LLVMInitializeBPFAsmParser();
        llvm::CrashRecoveryContext::Enable();
    });
}

char *copyString(const std::string &text) {
    char *out = static_cast<char *>(std::malloc(text.size() + 1));
    if (out) std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

bool compile(const char *mainPath, const vtap_clang_file *files, size_t fileCount,
             const char *const *arguments, size_t argumentCount, llvm::SmallVectorImpl<char> &object,
             std::string &diagnosticText, int &status) {
    auto fileSystem = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
    for (size_t i = 0; i < fileCount; i++) {
        llvm::StringRef contents(files[i].contents, files[i].length);
        fileSystem->addFile(files[i].path, 0, llvm::MemoryBuffer::getMemBufferCopy(contents, files[i].path));
    }

    llvm::raw_string_ostream diagnosticStream(diagnosticText);
    std::vector<const char *> args(arguments, arguments + argumentCount);
    args.push_back(mainPath);

    auto invocation = std::make_shared<clang::CompilerInvocation>();
    {
        auto options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
        clang::TextDiagnosticPrinter printer(diagnosticStream, options.get());
        clang::DiagnosticsEngine engine(llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(), options, &printer, false);
        if (!clang::CompilerInvocation::CreateFromArgs(*invocation, args, engine) || engine.hasErrorOccurred()) {
            diagnosticStream.flush();
            status = VTAP_CLANG_INTERNAL;
            return false;
        }
    }
    // Without these clang skips freeing its state and leaks per compile.
    invocation->getFrontendOpts().DisableFree = false;
    invocation->getCodeGenOpts().DisableFree = false;
    invocation->getFrontendOpts().OutputFile = "-";

    clang::CompilerInstance instance;
    instance.setInvocation(invocation);
    instance.createDiagnostics(new clang::TextDiagnosticPrinter(diagnosticStream, &instance.getDiagnosticOpts()), true);
    instance.setVerboseOutputStream(diagnosticStream);
    instance.createFileManager(fileSystem);
    instance.setOutputStream(std::make_unique<llvm::raw_svector_ostream>(object));

    clang::EmitObjAction action;
    bool ok = instance.ExecuteAction(action);
    diagnosticStream.flush();
    status = ok ? VTAP_CLANG_OK : VTAP_CLANG_ERRORS;
    return ok;
}

}  // namespace

extern "C" void vtap_clang_compile(const char *main_path, const vtap_clang_file *files, size_t file_count,
                                   const char *const *arguments, size_t argument_count,
                                   vtap_clang_output *out) {
    std::memset(out, 0, sizeof(*out));
    initializeBPFTarget();

    llvm::SmallString<0> object;
    std::string diagnosticText;
    int status = VTAP_CLANG_INTERNAL;
    llvm::CrashRecoveryContext recovery;
    bool ran = recovery.RunSafely([&] {
        compile(main_path, files, file_count, arguments, argument_count, object, diagnosticText, status);
    });
    if (!ran) {
        status = VTAP_CLANG_INTERNAL;
        diagnosticText += "clang crashed while compiling the generated program\n";
    }
    out->status = status;
    out->diagnostics = copyString(diagnosticText);
    if (status == VTAP_CLANG_OK && !object.empty()) {
        out->object = static_cast<unsigned char *>(std::malloc(object.size()));
        if (out->object) {
            std::memcpy(out->object, object.data(), object.size());
            out->object_size = object.size();
        } else {
            out->status = VTAP_CLANG_INTERNAL;
        }
    } else if (status == VTAP_CLANG_OK) {
        out->status = VTAP_CLANG_INTERNAL;
    }
}

extern "C" void vtap_clang_output_free(vtap_clang_output *out) {
    std::free(out->object);
    std::free(out->diagnostics);
    std::memset(out, 0, sizeof(*out));
}

extern "C" const char *vtap_clang_version(void) { return CLANG_VERSION_STRING; }
