# bash completion for clusterctl (static part: commands and options).
# Node names come from the inventory via `clusterctl node ls -o json`, key names via
# `clusterctl key ls -o json`.
_clusterctl_nodes() {
  clusterctl node ls -o json 2>/dev/null | sed -n 's/^    "name": "\([^"]*\)",$/\1/p'
}
_clusterctl_keys() {
  clusterctl key ls -o json 2>/dev/null | sed -n 's/^    "name": "\([^"]*\)",$/\1/p'
}
_clusterctl_instances() {
  clusterctl instance ls -o json 2>/dev/null | sed -n 's/^    "name": "\([^"]*\)",$/\1/p'
}

_clusterctl_users() {
  clusterctl user ls -o json 2>/dev/null | sed -n 's/^    "name": "\([^"]*\)",$/\1/p'
}

_clusterctl() {
  local cur prev words cword
  _init_completion || return
  local globals="--inventory --config -o --output --fanout --connect-timeout --timeout -q --quiet -v --verbose --no-color --no-headers --help --version"
  local groups="node exec cp nodeset gpu key image registry user instance config version help"
  local group="" sub="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --inventory|--config|-o|--output|--fanout|--connect-timeout|--timeout) ((i++)) ;;
      -*) ;;
      *) if [[ -z $group ]]; then group=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
    esac
  done
  case $prev in
    -o|--output) COMPREPLY=($(compgen -W "table wide json" -- "$cur")); return ;;
    --inventory|--config|--identity) _filedir; return ;;
  esac
  if [[ -z $group ]]; then
    COMPREPLY=($(compgen -W "$groups $globals" -- "$cur")); return
  fi
  case $group in
    node)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "add ls show rm facts check label rekey set cordon uncordon" -- "$cur")); return
      fi
      case $sub in
        add) COMPREPLY=($(compgen -W "--host --port --user --identity --label --group --accept-new-host-key --host-key-fingerprint" -- "$cur")) ;;
        rm) COMPREPLY=($(compgen -W "--force $(_clusterctl_nodes)" -- "$cur")) ;;
        rekey) COMPREPLY=($(compgen -W "--host-key-fingerprint $(_clusterctl_nodes)" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$(_clusterctl_nodes) @all" -- "$cur")) ;;
      esac ;;
    config) COMPREPLY=($(compgen -W "show" -- "$cur")) ;;
    help) [[ -z $sub ]] && COMPREPLY=($(compgen -W "$groups" -- "$cur")) ;;
    exec) COMPREPLY=($(compgen -W "-b --gather --max-rc --shell -- $(_clusterctl_nodes) @all" -- "$cur")) ;;
    nodeset) COMPREPLY=($(compgen -W "-e -c -f" -- "$cur")) ;;
    gpu)
      if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "status ps free" -- "$cur"))
      else COMPREPLY=($(compgen -W "--watch --min-memory $(_clusterctl_nodes) @all" -- "$cur")); fi ;;
    cp) _filedir ;;
    key)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "add ls list show rm remove push revoke sync audit rotate" -- "$cur")); return
      fi
      case $prev in
        --to|--from|--on) COMPREPLY=($(compgen -W "$(_clusterctl_nodes) @all" -- "$cur")); return ;;
        --public-key) _filedir; return ;;
        --remote-user|--owner|--comment|--options) return ;;
      esac
      case $sub in
        add) COMPREPLY=($(compgen -W "--public-key --owner --comment" -- "$cur")) ;;
        show) COMPREPLY=($(compgen -W "$(_clusterctl_keys)" -- "$cur")) ;;
        rm|remove) COMPREPLY=($(compgen -W "--keep-on-nodes $(_clusterctl_keys)" -- "$cur")) ;;
        push) COMPREPLY=($(compgen -W "--to --remote-user --options $(_clusterctl_keys)" -- "$cur")) ;;
        revoke) COMPREPLY=($(compgen -W "--from --remote-user $(_clusterctl_keys)" -- "$cur")) ;;
        rotate) COMPREPLY=($(compgen -W "--on --identity $(_clusterctl_keys)" -- "$cur")) ;;
        audit) COMPREPLY=($(compgen -W "--remote-user $(_clusterctl_nodes) @all" -- "$cur")) ;;
        sync) COMPREPLY=($(compgen -W "--remote-user --exclusive -y --yes --dry-run $(_clusterctl_nodes) @all" -- "$cur")) ;;
      esac ;;
    image)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "fetch upload inspect tags cache ls pull push rm" -- "$cur")); return
      fi
      case $prev in
        --to|--from) COMPREPLY=($(compgen -W "$(_clusterctl_nodes) @all" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "docker-archive oci-archive" -- "$cur")); return ;;
        --platform) COMPREPLY=($(compgen -W "linux/amd64 linux/arm64 linux/arm64/v8" -- "$cur")); return ;;
        --older-than|--name) return ;;
      esac
      case $sub in
        fetch) COMPREPLY=($(compgen -W "-o --file --format --platform" -- "$cur")) ;;
        upload) _filedir ;;
        inspect) COMPREPLY=($(compgen -W "--platform" -- "$cur")) ;;
        cache) COMPREPLY=($(compgen -W "ls prune --older-than" -- "$cur")) ;;
        ls) COMPREPLY=($(compgen -W "$(_clusterctl_nodes) @all" -- "$cur")) ;;
        pull) COMPREPLY=($(compgen -W "--to" -- "$cur")) ;;
        push) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--to --name --platform" -- "$cur")); else _filedir; fi ;;
        rm) COMPREPLY=($(compgen -W "--from -y --yes --dry-run" -- "$cur")) ;;
      esac ;;
    user)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "add ls list show set rm remove usage" -- "$cur")); return
      fi
      case $prev in
        --level) COMPREPLY=($(compgen -W "small mid big" -- "$cur")); return ;;
        --quota) compopt -o nospace; COMPREPLY=($(compgen -W "gpus= cpus= memory= storage= instances=" -- "$cur")); return ;;
        --volume) return ;;
      esac
      case $sub in
        add) COMPREPLY=($(compgen -W "--level --quota --volume" -- "$cur")) ;;
        set) COMPREPLY=($(compgen -W "--level --quota --volume --no-volumes $(_clusterctl_users)" -- "$cur")) ;;
        show|rm|remove|usage) COMPREPLY=($(compgen -W "$(_clusterctl_users)" -- "$cur")) ;;
      esac ;;
    instance)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "create ls list show start stop restart rm logs exec" -- "$cur")); return
      fi
      case $prev in
        --node) COMPREPLY=($(compgen -W "$(_clusterctl_nodes)" -- "$cur")); return ;;
        --owner) COMPREPLY=($(compgen -W "$(_clusterctl_users)" -- "$cur")); return ;;
        --image|--gpus|--cpus|--memory|--storage|-p|--publish|-e|--env|-v|--volume|--label|--ttl|--push-from|--tail) return ;;
      esac
      case $sub in
        create) COMPREPLY=($(compgen -W "--image --node --gpus --cpus --memory --storage -p --publish --owner -e --env -v --volume --label --ttl --push-from" -- "$cur")) ;;
        ls|list) COMPREPLY=($(compgen -W "--node --owner $(_clusterctl_nodes) @all" -- "$cur")) ;;
        rm) COMPREPLY=($(compgen -W "-y --yes --dry-run --forget $(_clusterctl_instances)" -- "$cur")) ;;
        logs) COMPREPLY=($(compgen -W "-f --follow --tail $(_clusterctl_instances)" -- "$cur")) ;;
        show|start|stop|restart|exec) COMPREPLY=($(compgen -W "$(_clusterctl_instances)" -- "$cur")) ;;
      esac ;;
    registry)
      if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "login logout ls" -- "$cur")); return; fi
      [[ $sub == login ]] && COMPREPLY=($(compgen -W "-u --username --password-stdin" -- "$cur")) ;;
  esac
}
complete -F _clusterctl clusterctl
