"""The OpenAI (or any OpenAI-compatible server) client, with errors turned into one-line causes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rag.errors import ModelAuthError, ModelRateLimitError, ModelServiceError, UsageError

_PLACEHOLDER_KEY = "sk-no-key-required"  # local servers (llama.cpp, vLLM, Ollama) ignore the key


def make_client(s):
    if not s.configured:
        raise UsageError(
            "engine 'openai' needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server); "
            "or use --engine extractive to stay offline"
        )
    from openai import OpenAI

    key = s.api_key.get_secret_value() if s.api_key else _PLACEHOLDER_KEY
    return OpenAI(api_key=key, base_url=s.base_url, timeout=s.timeout, max_retries=s.max_retries)


def _request_id(exc) -> str:
    rid = getattr(exc, "request_id", None)
    return f" (request id {rid})" if rid else ""


def call_with_errors(fn: Callable):
    import openai

    try:
        return fn()
    except openai.AuthenticationError as exc:
        raise ModelAuthError(
            f"the model service refused the API key (401){_request_id(exc)}; check OPENAI_API_KEY"
        ) from None
    except openai.PermissionDeniedError as exc:
        raise ModelAuthError(
            f"the model service denied access (403){_request_id(exc)}; check the key's permissions"
        ) from None
    except openai.RateLimitError as exc:
        raise ModelRateLimitError(f"the model service is rate limiting (429){_request_id(exc)}; retry later") from None
    except openai.NotFoundError as exc:
        raise ModelServiceError(
            f"the model service does not know this model or path (404){_request_id(exc)}; "
            "check OPENAI_MODEL and OPENAI_BASE_URL"
        ) from None
    except openai.APITimeoutError:
        raise ModelServiceError(
            "the model service did not answer in time; raise RAG_OPENAI__TIMEOUT or check the server"
        ) from None
    except openai.APIConnectionError:
        raise ModelServiceError(
            "cannot connect to the model service; check OPENAI_BASE_URL and that the server runs"
        ) from None
    except openai.APIStatusError as exc:
        raise ModelServiceError(f"the model service failed with HTTP {exc.status_code}{_request_id(exc)}") from None
    except openai.APIError as exc:  # a reply the client cannot read
        raise ModelServiceError(
            f"the model service sent a reply that is not an OpenAI-style response ({type(exc).__name__}); "
            "check OPENAI_BASE_URL"
        ) from None


def stream_chat(s, gen, system: str, user: str) -> Iterator[str]:
    client = make_client(s)
    stream = call_with_errors(
        lambda: client.chat.completions.create(
            model=s.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=gen.temperature,
            max_tokens=gen.max_tokens,
            stream=True,
        )
    )
    it = iter(stream)
    any_text = False
    while True:
        chunk = call_with_errors(lambda: next(it, None))
        if chunk is None:
            break
        if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
            any_text = True
            yield chunk.choices[0].delta.content
    if not any_text:  # HTTP 200 without choices or content: a fault of the service, not an answer
        raise ModelServiceError(
            "the model service answered without any text; check OPENAI_BASE_URL (an OpenAI-compatible "
            "/v1 endpoint) and OPENAI_MODEL"
        )
