#!/usr/bin/env bash
# Put Solara's front-end files where the Solara server looks before going to its public CDN
# (<venv>/share/solara/cdn/<package>@<version>/), so the dashboard works with no internet.
# The npm registry is reachable; `npm pack` gives each package's tarball.
# The versions are hard-coded inside the solara package (solara.html.j2, settings.py, the
# mermaid/katex components): check them on every solara upgrade.
# Font Awesome (which Solara also lists) is not fetched: the launcher turns its stylesheet off
# (SOLARA_ASSETS_FONTAWESOME_ENABLED=false; no page uses its icons).
# Idempotent: a stamp file per package makes a second run instant.
set -euo pipefail
VENV="${1:-.venv}"
PREFIX="$("$VENV/bin/python" -c 'import sys; print(sys.prefix)')"
CDN="$PREFIX/share/solara/cdn"
PACKAGES=(
    "@widgetti/solara-vuetify-app@10.1.1"
    "@widgetti/solara-vuetify3-app@5.2.0"
    "requirejs@2.3.6"
    "@widgetti/vue-grid-layout@2.3.13-alpha.2"
    "mermaid@10.8.0"
    "katex@0.16.9"
)
mkdir -p "$CDN"
for spec in "${PACKAGES[@]}"; do
    dest="$CDN/$spec"
    if [ -f "$dest/.installed" ]; then
        continue
    fi
    echo "front-end files: $spec" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>&1)
    rm -rf "$dest"
    mkdir -p "$dest"
    tar -xzf "$tmp"/*.tgz -C "$dest" --strip-components=1
    # a request for the bare package (no file) is served from <pkg>@<version>/__main.js
    main="$(node -e "const p=require('$dest/package.json'); process.stdout.write(p.browser && typeof p.browser==='string' ? p.browser : (p.main||''))" 2>/dev/null || true)"
    if [ -n "$main" ] && [ -f "$dest/$main" ]; then
        cp "$dest/$main" "$dest/__main.js"
    fi
    rm -rf "$tmp"
    touch "$dest/.installed"
done
