"""A small worker that runs Foundry Local in its own environment and streams answers as JSON lines.

Run by :class:`helpers.edge.foundry_local.FoundryLocalChat` with the interpreter of
``.cache/envs/foundry-local`` (Foundry Local pins an older ONNX Runtime than the course). Standard
library and ``foundry_local_sdk`` only; it never imports ``helpers``.

Protocol (one JSON object per line): argv gives the model folder, model id and data folder. The
worker answers ``{"ready": ..., "load_s": ...}``, then for each request line
``{"messages": [...], "max_new_tokens": N, "temperature": T, ...}`` writes ``{"piece": "..."}``
lines and ``{"done": true}``, or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import sys
import time


def _send(**obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Load the model, then answer requests from stdin until it closes."""
    folder, model_id, data = sys.argv[1], sys.argv[2], sys.argv[3]
    start = time.perf_counter()
    try:
        from foundry_local_sdk import (
            CatalogType,
            ChatSession,
            Configuration,
            FoundryLocalManager,
            MessageItem,
            ModelInfoBuilder,
            Request,
            RequestOptions,
            SearchOptions,
            TextItem,
            __version__,
        )

        config = Configuration(
            app_name="slmlab", app_data_dir=f"{data}/data", model_cache_dir=f"{data}/models", logs_dir=f"{data}/logs",
            disable_nonessential_telemetry=True,
        )
        FoundryLocalManager.initialize(config)
        catalog = FoundryLocalManager.instance.get_catalog(CatalogType.LOCAL)
        model = catalog.get_model_variant(model_id)  # registration persists: register once
        if model is None:
            with ModelInfoBuilder() as metadata:
                metadata.set_string_property("task", "chat-completion")
                metadata.set_string_property("display_name", "SmolLM2-135M-Instruct (course int4 build)")
                model = catalog.register_model(model_path=folder, model_id=model_id, metadata=metadata)
        model.load()
    except Exception as exc:
        _send(error=f"{type(exc).__name__}: {exc}")
        return
    _send(ready=True, load_s=time.perf_counter() - start, version=__version__, model_id=model.id)
    roles = {"system": MessageItem.system, "user": MessageItem.user, "assistant": MessageItem.assistant}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            greedy = job.get("temperature", 0.0) <= 0
            search = SearchOptions(
                temperature=0.0 if greedy else job["temperature"], max_output_tokens=job.get("max_new_tokens", 60),
                **({} if greedy else {"top_p": job.get("top_p", 1.0), "seed": job.get("seed", 0), "do_sample": True}),
            )
            with ChatSession(model) as session:  # a fresh session per request: the conversation comes in full
                session.set_options(RequestOptions(search=search))
                session.set_streaming(True)
                request = Request()
                for message in job["messages"]:
                    request.add_item(roles[message["role"]](message["content"]))
                with request:
                    for item in session.process_streaming_request(request):
                        if isinstance(item, TextItem) and item.text:
                            _send(piece=item.text)
            _send(done=True)
        except Exception as exc:
            _send(error=f"{type(exc).__name__}: {exc}")
    model.unload()


if __name__ == "__main__":
    main()
