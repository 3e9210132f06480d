import Foundation

/// The commands of Amplify's build image that a plain machine lacks, given to every build's shell (sandboxed or not):
/// `nvm` over the Node.js versions this machine has (`--node-versions`), the backend helpers `amplifyPush` and `npx
/// ampx pipeline-deploy` (`--backend-builds`), and the `_LIVE_UPDATES` variable applied before the first phase, each
/// with the lines Amplify writes.
///
/// `nvm` is a shell function in `$NVM_DIR/nvm.sh` (the build's `~/.nvm`), as nvm's own is, so that a spec's
/// `. ~/.nvm/nvm.sh` works too; `$NVM_DIR/versions/node` is the `--node-versions` folder. It downloads nothing.
struct BuildImageShell: Sendable {
    /// The builds' options this shell follows (`--backend-builds`, `--node-versions`).
    let configuration: BuildRunner.Configuration

    /// What a build does with a command that deploys (or reads) the app's backend on AWS.
    var backendBuilds: BackendBuilds { self.configuration.backendBuilds }
    /// The Node.js installations in nvm's layout (`DIR/v20.18.0/bin/node`), if any.
    var nodeVersions: NodeVersions { NodeVersions(folder: self.configuration.nodeVersions) }

    /// What the build's log says of them.
    var description: String {
        "# Node.js versions for nvm: \(self.nodeVersions.description); backend deployments (amplifyPush, ampx pipeline-deploy): \(self.backendBuilds.rawValue) (--backend-builds)."
    }

    /// The lines a build's shell runs before its phases: nvm loaded, the backend helpers defined, then `liveUpdates`
    /// (the app's or branch's `_LIVE_UPDATES`) applied; a live update that cannot be honoured fails the build.
    ///
    /// In a container (`inImage`), the image's own nvm is loaded when it has one (its `$NVM_DIR`, else `~/.nvm`), and
    /// this one (at `ownNvm`) only when it has none.
    func prelude(liveUpdates: String?, inImage ownNvm: String? = nil) throws(LiveUpdate.Invalid) -> [String] {
        let nvm = ownNvm.map { own in
            ##"[ -n "${NVM_DIR:-}" ] || [ ! -s "$HOME/.nvm/nvm.sh" ] || export NVM_DIR="$HOME/.nvm"; if [ -n "${NVM_DIR:-}" ] && [ -s "$NVM_DIR/nvm.sh" ]; then printf '%s\n' "# nvm: the image's ($NVM_DIR)"; else export NVM_DIR=\##(BuildScript.quote(own)); fi; . "$NVM_DIR/nvm.sh""##
        } ?? #". "$NVM_DIR/nvm.sh""#
        var lines = [
            nvm,
            "__amplify_local_backend_builds=\(self.backendBuilds.rawValue)",
            Self.backendHelpers,
        ]
        for update in try LiveUpdate.parse(liveUpdates) {
            lines += update.commands
        }
        return lines
    }

    /// Makes the build's `~/.nvm`: `nvm.sh`, and `versions/node` as a link to the installations.
    /// `versionsPath` is where the build sees the installations (a container's mount), the folder itself when nil.
    func install(in nvmDirectory: URL, versionsPath: String? = nil) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: nvmDirectory.appending(path: "versions"), withIntermediateDirectories: true)
        try Self.nvmScript.write(to: nvmDirectory.appending(path: "nvm.sh"), atomically: false, encoding: .utf8)
        if let folder = self.nodeVersions.folder {
            try manager.createSymbolicLink(atPath: nvmDirectory.appending(path: "versions/node").path, withDestinationPath: versionsPath ?? folder)
        } else {
            try manager.createDirectory(at: nvmDirectory.appending(path: "versions/node"), withIntermediateDirectories: true)
        }
    }

    /// `amplifyPush` (Gen 1) and `npx ampx pipeline-deploy` / `generate outputs` (Gen 2) deploy or read the app's
    /// backend on AWS, which amplify-local does not emulate: one clear line, then the build fails (`fail`) or goes on
    /// as if the command succeeded (`skip`). Any other `npx` runs as it is.
    static let backendHelpers = #"""
        __amplify_local_backend() {
          if [ "$__amplify_local_backend_builds" = skip ]; then
            printf '%s\n' "# amplify-local: '$1' $2 on AWS, which amplify-local does not emulate: skipped as if it succeeded (--backend-builds skip)."
            return 0
          fi
          printf '%s\n' "!!! amplify-local: '$1' $2 on AWS, which amplify-local does not emulate: the build fails here (--backend-builds fail, the default; start the server with --backend-builds skip to build the frontend without it)." >&2
          return 1
        }
        amplifyPush() { __amplify_local_backend "amplifyPush $*" "deploys the app's backend (Amplify Gen 1)"; }
        npx() {
          case "$1 $2" in
            "ampx pipeline-deploy"|"@aws-amplify/backend-cli pipeline-deploy") __amplify_local_backend "npx $*" "deploys the app's backend (Amplify Gen 2)" ;;
            "ampx generate"|"@aws-amplify/backend-cli generate") __amplify_local_backend "npx $*" "reads the app's deployed backend (Amplify Gen 2)" ;;
            *) command npx "$@" ;;
          esac
        }
        """#

    /// nvm's commands that builds use (`use`, `install`, `ls`, `current`, `which`, `version`, `alias`, `unalias`,
    /// `deactivate`), with nvm's matching (`20` is the newest v20.x.x installed, `20.1` the newest v20.1.x, `node` the
    /// newest, `lts/*` the newest even major, `lts/iron` 20, `system` the machine's own node, no version: `.nvmrc`) and
    /// its messages and exit codes. `install` installs nothing: a version that is here is used, one that is not fails.
    static let nvmScript = #"""
        # amplify-local's nvm: nvm's commands over the Node.js versions in $NVM_DIR/versions/node (--node-versions).
        # It downloads nothing: `nvm install` uses a version that is installed, and fails for one that is not.
        __nvm_installed() {
          local d
          for d in "$NVM_DIR"/versions/node/v*; do [ -x "$d/bin/node" ] && printf '%s\n' "${d##*/}"; done | sort -V
        }
        __nvm_lts_major() {
          case "$1" in
            argon) echo 4 ;; boron) echo 6 ;; carbon) echo 8 ;; dubnium) echo 10 ;; erbium) echo 12 ;; fermium) echo 14 ;;
            gallium) echo 16 ;; hydrogen) echo 18 ;; iron) echo 20 ;; jod) echo 22 ;; krypton) echo 24 ;; *) return 1 ;;
          esac
        }
        # The newest installed version that $1 names, or nothing.
        __nvm_match() {
          local want="$1" v major best=""
          if [ "$want" = default ] || [ -f "$NVM_DIR/alias/$want" ]; then
            [ -f "$NVM_DIR/alias/$want" ] || return 0
            want=$(cat "$NVM_DIR/alias/$want")
          fi
          case "$want" in
            node|stable|latest) __nvm_installed | tail -n 1; return 0 ;;
            current) __nvm_current | grep '^v'; return 0 ;;
            "lts/*")
              for v in $(__nvm_installed); do major=${v#v}; major=${major%%.*}; [ $((major % 2)) -eq 0 ] && [ "$major" -ge 4 ] && best=$v; done
              [ -n "$best" ] && echo "$best"; return 0 ;;
            lts/*) major=$(__nvm_lts_major "${want#lts/}") || return 0; want=$major ;;
          esac
          want=${want#v}
          for v in $(__nvm_installed); do
            case "${v#v}" in "$want"|"$want".*) best=$v ;; esac
          done
          [ -n "$best" ] && echo "$best"
          return 0
        }
        __nvm_current() {
          local node
          node=$(command -v node) || { echo none; return 0; }
          case "$node" in "$NVM_DIR"/versions/node/*) node=${node#"$NVM_DIR"/versions/node/}; echo "${node%%/*}" ;; *) echo system ;; esac
        }
        __nvm_strip_path() {
          local entry kept="" IFS=:
          for entry in $PATH; do
            case "$entry" in "$NVM_DIR"/versions/node/*) ;; *) kept=${kept:+$kept:}$entry ;; esac
          done
          printf '%s' "$kept"
        }
        __nvm_npm_version() {
          local npm
          npm=$(npm --version 2>/dev/null) && [ -n "$npm" ] && printf ' (npm v%s)' "$npm"
        }
        __nvm_nvmrc() {
          local dir=$PWD
          while :; do
            [ -f "$dir/.nvmrc" ] && { printf '%s\n' "$dir/.nvmrc"; return 0; }
            [ -z "$dir" ] || [ "$dir" = / ] && return 1
            dir=${dir%/*}
          done
        }
        __nvm_installed_here() {
          local versions
          versions=$(__nvm_installed | tr '\n' ' ')
          echo "amplify-local downloads no Node.js: the versions installed here (--node-versions) are: ${versions:-none}" >&2
        }
        __nvm_missing() {
          if [[ "$1" =~ ^v?[0-9] ]]; then echo "N/A: version \"v${1#v}\" is not yet installed." >&2; else echo "N/A: version \"$1 -> N/A\" is not yet installed." >&2; fi
          echo >&2
          echo "You need to run \`nvm install $1\` to install and use it." >&2
          __nvm_installed_here
        }
        # The version asked for, or .nvmrc's (said as nvm says it), in __nvm_want.
        __nvm_wanted() {
          local file
          __nvm_want=$1
          [ -n "$__nvm_want" ] && return 0
          file=$(__nvm_nvmrc) || {
            echo "No version provided and no .nvmrc file found" >&2
            echo 'Please see `nvm --help` or https://github.com/nvm-sh/nvm#nvmrc for more information.' >&2
            return 127
          }
          __nvm_want=$(head -n 1 "$file" | tr -d '[:space:]')
          echo "Found '$file' with version <$__nvm_want>"
        }
        __nvm_activate() {
          PATH=$(__nvm_strip_path)
          export PATH="$NVM_DIR/versions/node/$1/bin${PATH:+:$PATH}"
          export NVM_BIN="$NVM_DIR/versions/node/$1/bin" NVM_INC="$NVM_DIR/versions/node/$1/include/node"
          hash -r
        }
        __nvm_use() {
          local silent="" want version
          while [ "${1#-}" != "$1" ]; do [ "$1" = --silent ] && silent=1; shift; done
          __nvm_wanted "$1" || return $?
          want=$__nvm_want
          if [ "$want" = system ]; then
            PATH=$(__nvm_strip_path); export PATH; unset NVM_BIN NVM_INC; hash -r
            command -v node > /dev/null || { echo "System version of node not found." >&2; return 127; }
            [ -n "$silent" ] || echo "Now using system version of node: $(node --version)$(__nvm_npm_version)"
            return 0
          fi
          version=$(__nvm_match "$want")
          [ -n "$version" ] || { __nvm_missing "$want"; return 3; }
          __nvm_activate "$version"
          [ -n "$silent" ] || echo "Now using node $version$(__nvm_npm_version)"
        }
        __nvm_install() {
          local want version arg
          for arg in "$@"; do
            case "$arg" in --lts) want="lts/*" ;; -*) ;; *) want=$arg ;; esac
          done
          __nvm_wanted "$want" || return $?
          want=$__nvm_want
          version=$(__nvm_match "$want")
          if [ -z "$version" ]; then
            echo "Version '$want' not found - try \`nvm ls-remote\` to browse available versions." >&2
            __nvm_installed_here
            return 3
          fi
          echo "$version is already installed." >&2
          __nvm_activate "$version"
          echo "Now using node $version$(__nvm_npm_version)"
        }
        __nvm_alias_line() {
          local target version
          target=$(cat "$NVM_DIR/alias/$1")
          version=$(__nvm_match "$target")
          if [ "$target" = "$version" ]; then echo "$1 -> $version *"; else echo "$1 -> $target (-> ${version:-N/A}${version:+ *})"; fi
        }
        __nvm_ls() {
          local current v found="" name
          current=$(__nvm_current)
          for v in $(__nvm_installed); do
            case "$v" in "v${1#v}"|"v${1#v}".*|"v") ;; *) [ -n "$1" ] && continue ;; esac
            found=1
            if [ "$v" = "$current" ]; then printf -- '->%13s *\n' "$v"; else printf '%15s *\n' "$v"; fi
          done
          [ -n "$1" ] && { [ -n "$found" ] || { printf '%15s\n' N/A; return 3; }; return 0; }
          if PATH=$(__nvm_strip_path) command -v node > /dev/null; then
            if [ "$current" = system ]; then printf -- '->%13s * (-> %s)\n' system "$(PATH=$(__nvm_strip_path) node --version)"; else printf '%15s * (-> %s)\n' system "$(PATH=$(__nvm_strip_path) node --version)"; fi
          fi
          for name in "$NVM_DIR"/alias/*; do [ -f "$name" ] && __nvm_alias_line "${name##*/}"; done
          return 0
        }
        nvm() {
          local command="$1" version
          [ $# -gt 0 ] && shift
          case "$command" in
            use) __nvm_use "$@" ;;
            install|i) __nvm_install "$@" ;;
            ls|list) __nvm_ls "$@" ;;
            current) __nvm_current ;;
            version)
              __nvm_wanted "$1" > /dev/null || return $?
              version=$(__nvm_match "$__nvm_want")
              if [ -n "$version" ]; then echo "$version"; else echo N/A; return 3; fi ;;
            which)
              if [ -z "$1" ] || [ "$1" = current ]; then command -v node; return $?; fi
              [ "$1" = system ] && { PATH=$(__nvm_strip_path) command -v node; return $?; }
              version=$(__nvm_match "$1")
              [ -n "$version" ] || { __nvm_missing "$1"; return 1; }
              echo "$NVM_DIR/versions/node/$version/bin/node" ;;
            alias)
              [ -n "$1" ] || { __nvm_ls | grep -- ' -> '; return 0; }
              if [ -n "$2" ]; then
                mkdir -p "$NVM_DIR/alias" && printf '%s\n' "$2" > "$NVM_DIR/alias/$1"
                [ -n "$(__nvm_match "$2")" ] || echo "! WARNING: Version '$2' does not exist." >&2
              fi
              [ -f "$NVM_DIR/alias/$1" ] && __nvm_alias_line "$1" ;;
            unalias) rm -f "$NVM_DIR/alias/$1" && echo "Deleted alias $1" ;;
            deactivate) PATH=$(__nvm_strip_path); export PATH; unset NVM_BIN NVM_INC; hash -r; echo "$NVM_DIR/*/bin removed from \${PATH}" ;;
            cache) echo "nvm cache cleared." ;;
            --version|-v) echo "0.40.3" ;;
            ""|help|--help) echo "amplify-local's nvm: use, install, ls, current, version, which, alias, unalias, deactivate (over the versions in $NVM_DIR/versions/node)" ;;
            *) echo "nvm $command: amplify-local's nvm has use, install, ls, current, version, which, alias, unalias and deactivate." >&2; return 127 ;;
          esac
        }
        # As nvm does when loaded: the default alias, if one is set, is used.
        [ -f "$NVM_DIR/alias/default" ] && nvm use --silent default > /dev/null 2>&1
        true
        """#
}
