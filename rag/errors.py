"""Domain errors. Each says what went wrong and how to fix it; cli.py maps them to exit codes."""


class RagError(Exception):
    """Base class: a failure the user can act on. Never carries a traceback to the terminal."""

    exit_code = 1


class UsageError(RagError):
    """A bad argument, path or setting."""

    exit_code = 2


class FileError(UsageError):
    """A file that cannot be ingested; the reason is kept apart from the file's name."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


class NotAnArticleError(FileError):
    """Readable, but not an article: binary, empty, over the size limit. Skipped."""


class UnreadableFileError(FileError):
    """The operating system would not give us the file's bytes (permissions, I/O, dangling link)."""


class StoreEmptyError(RagError):
    exit_code = 3


class StoreMismatchError(RagError):
    """The store was built with other settings (embedding model, schema) than the current ones."""

    exit_code = 4


class ModelServiceError(RagError):
    """The model service (OpenAI-compatible server) failed: network, HTTP status, timeout."""

    exit_code = 5


class ModelAuthError(ModelServiceError):
    exit_code = 6


class ModelRateLimitError(ModelServiceError):
    exit_code = 7


class LocalModelError(RagError):
    """A local model (GGUF, ONNX export) could not be loaded."""

    exit_code = 8


class StoreBusyError(RagError):
    """Another process holds the store's write lock."""

    exit_code = 9


class StoreServiceError(RagError):
    """The Chroma server (RAG_CHROMA_URL) cannot be reached or failed."""

    exit_code = 10
