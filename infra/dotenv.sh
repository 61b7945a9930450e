# load_dotenv FILE: exports each KEY=VALUE line of FILE (an optional .env, as `cargo lambda watch
# --env-file` reads one) that the environment does not already set: the shell wins over the
# file, the file over the scripts' defaults. Blank lines and `#` comments are skipped, `export `
# before a key and quotes around a value are allowed; any other line stops with its number.
load_dotenv() {
  local file="$1" line key value n=0
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      echo "$file:$n: not KEY=VALUE: $line" >&2
      return 1
    fi
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
      value="${BASH_REMATCH[1]}"
    fi
    if [ -z "${!key+set}" ]; then
      export "$key=$value"
    fi
  done < "$file"
}
