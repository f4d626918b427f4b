"""Sphinx extension of the probelib book (loaded through ``sphinx.local_extensions`` in _config.yml).

- fixes two console errors of Jupyter Book 1's stack: sphinx-thebe 0.3.1 adds its configuration
  script twice (``Identifier 'THEBE_JS_URL' has already been declared``), and an empty default
  colour mode makes the pydata theme log ``Got invalid theme mode``;
- points the JupyterHub launch button at the chapter's source (``notebooks/NN_topic.py``, which
  jupytext opens as a notebook), since the executed ``book/chapters/*.ipynb`` are not in the
  repository a hub pulls; ``probelib_sources`` maps page names to those sources.

- numbers figures, tables and exercises per page, prefixed with the page's number (``Fig. 3.2``:
  the second figure of chapter 3; ``10.1.1`` on chapter 10's first section page), instead of
  Sphinx's count over the whole book when the table of contents is not numbered;
  ``probelib_page_numbers`` maps page names to their number (as a list of ints).

It imports nothing of probelib, so building the book needs no torch.
"""
from __future__ import annotations

from urllib.parse import urlencode

__all__ = ["launch_url", "setup"]


def launch_url(hub: str, repo: str, branch: str, path: str, interface: str = "lab") -> str:
    """The nbgitpuller link that clones ``repo`` at ``branch`` on the JupyterHub ``hub`` and opens
    ``path`` (relative to the repository) in JupyterLab (``lab``) or the classic interface (``tree``)."""
    name = repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    query = urlencode({"repo": repo, "urlpath": f"{interface}/tree/{name}/{path}" if interface == "lab"
                       else f"tree/{name}/{path}", "branch": branch}, safe="/")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def _config_inited(app, config):
    config.html_context.setdefault("default_mode", "light")  # the pydata theme reads it from the context


def _walk(buttons):
    for b in buttons or []:
        yield b
        yield from _walk(b.get("buttons"))


def _page_context(app, pagename, templatename, context, doctree):
    scripts, seen = [], set()
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {})
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue  # the same inline script twice (sphinx-thebe's configuration)
        seen.add(key)
        scripts.append(js)
    context["script_files"] = scripts
    source = app.config.probelib_sources.get(pagename)
    options = app.config.html_theme_options
    hub = options.get("launch_buttons", {}).get("jupyterhub_url")
    repo = options.get("repository_url")
    if source and hub and repo:
        url = launch_url(hub, repo, options.get("repository_branch", "main"), source,
                         options.get("launch_buttons", {}).get("notebook_interface", "jupyterlab")
                         .replace("jupyterlab", "lab").replace("classic", "tree"))
        for b in _walk(context.get("header_buttons")):
            if b.get("text") == "JupyterHub":
                b["url"] = url


def _renumber(app, env):
    """Per-page figure/table/exercise numbers, ``page number + (k,)`` in their order on the page."""
    numbers = app.config.probelib_page_numbers
    for doc, types in env.toc_fignumbers.items():
        prefix = tuple(numbers.get(doc, ()))
        for ids in types.values():
            for k, fid in enumerate(sorted(ids, key=lambda i: ids[i]), 1):
                ids[fid] = prefix + (k,)
    return []


def setup(app):
    app.add_config_value("probelib_sources", {}, "html")
    app.add_config_value("probelib_page_numbers", {}, "env")
    app.connect("env-get-updated", _renumber, priority=900)
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
