# bash completion for ward(8): subcommands, their options, program paths
# and rule ids (asked of wardd with `ward rules list`).

_ward_rule_ids()
{
    ward rules list 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }'
}

_ward()
{
    local cur prev words cword
    _init_completion || return
    local cmds="check show explain export import status mode rules reload filter sublayer provider callout shim log watch prompt top stats conns ps bundle update scan mail-ca help"
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$cmds --help" -- "$cur"))
        return
    fi
    local cmd=${words[1]} opts=""
    case $prev in
    --program | --app | -f | --cgroup)
        _filedir
        return
        ;;
    --by)
        COMPREPLY=($(compgen -W "program remote" -- "$cur"))
        return
        ;;
    --socket | --key | --output)
        _filedir
        return
        ;;
    --dir | --keys)
        _filedir -d
        return
        ;;
    --verdict)
        COMPREPLY=($(compgen -W "permit block" -- "$cur"))
        return
        ;;
    --layer)
        COMPREPLY=($(compgen -W "outbound inbound dns" -- "$cur"))
        return
        ;;
    --proto)
        COMPREPLY=($(compgen -W "tcp udp icmp icmp6" -- "$cur"))
        return
        ;;
    --answer)
        COMPREPLY=($(compgen -W "allow deny" -- "$cur"))
        return
        ;;
    --scope)
        COMPREPLY=($(compgen -W "destination port any" -- "$cur"))
        return
        ;;
    --duration)
        COMPREPLY=($(compgen -W "once 5m 1h until-exit until-restart forever" -- "$cur"))
        return
        ;;
    --since | --until | --remote | --domain | --limit | --count | --to | --from | --port | \
        --sport | --time | --uid | --gid | --cmdline | --iface | --sha256 | --self | --log | \
        --provider | --for | --name | --version)
        return
        ;;
    esac
    case $cmd in
    check) opts="-q --help" ;;
    show) opts="--provider --help" ;;
    explain)
        opts="-f --layer --app --proto --to --from --port --sport --domain --time --uid --gid
              --cmdline --iface --cgroup --sha256 --parent --self --no-prompter --json --daemon --log --help"
        ;;
    export) opts="-f --help" ;;
    import)
        if [[ $cword -eq 2 ]]; then
            COMPREPLY=($(compgen -W "json opensnitch" -- "$cur"))
        else
            _filedir
        fi
        return
        ;;
    status) opts="--json --help" ;;
    mode) opts="ask allow-all deny-all --json --help" ;;
    reload) opts="--help" ;;
    filter | sublayer | provider)
        if [[ $cword -eq 2 && $cur != -* ]]; then
            opts="list add del"
            [[ $cmd == filter ]] && opts="$opts apply"
        else
            opts="--json --dynamic --help"
            [[ $cmd == provider ]] && opts="$opts --persistent"
        fi
        ;;
    callout)
        if [[ $cword -eq 2 && $cur != -* ]]; then opts="list load unload"; else opts="--json --help"; fi
        ;;
    shim)
        if [[ $cword -eq 2 && $cur != -* ]]; then opts="enable disable status"; else
            opts="--root --lib --run-dir --help"
        fi
        ;;
    log)
        opts="--program --since --until --verdict --remote --domain --limit --json --csv
              --follow --gaps --help"
        ;;
    watch) opts="--json --count --help" ;;
    prompt) opts="--answer --scope --duration --count --help" ;;
    top) opts="--socket --help" ;;
    stats) opts="--by --since --until --program --limit --limits --json --help" ;;
    conns) opts="--json --help" ;;
    ps) opts="--json --help" ;;
    bundle)
        if [[ $cword -eq 2 && $cur != -* ]]; then
            COMPREPLY=($(compgen -W "keygen create verify apply rollback status" -- "$cur"))
            return
        fi
        case ${words[2]} in
        -*) opts="--dir --key --name --version --output --keys --poll" ;;
        keygen) opts="--dir" ;;
        create) opts="--key --name --version --output" ;;
        verify) opts="--keys" ;;
        apply) opts="--keys --poll" ;;
        esac
        if [[ $cur != -* && ${words[2]} != keygen ]]; then
            _filedir
            return
        fi
        opts="$opts --help"
        ;;
    update)
        if [[ $cword -eq 2 && $cur != -* ]]; then
            COMPREPLY=($(compgen -W "ids" -- "$cur"))
            return
        fi
        if [[ $cur != -* ]]; then
            _filedir
            return
        fi
        opts="--keys --poll --rollback --status --help"
        ;;
    scan)
        [[ $cur == -* ]] || { COMPREPLY=($(compgen -f -- "$cur")); return; }
        opts="--help"
        ;;
    mail-ca)
        [[ $prev == --dir ]] && { _filedir -d; return; }
        opts="--dir --pem --issue --help"
        ;;
    rules)
        if [[ $cword -eq 2 ]]; then
            COMPREPLY=($(compgen -W "list add delete" -- "$cur"))
            return
        fi
        case ${words[2]} in
        list) opts="--provider --program --json" ;;
        delete)
            COMPREPLY=($(compgen -W "$(_ward_rule_ids)" -- "$cur"))
            return
            ;;
        add)
            if [[ $cur == -* ]]; then
                opts="--provider --for --until-restart"
            elif [[ $cur == /* || $cur == .* ]]; then
                _filedir
                return
            else
                opts="allow deny in out tcp udp icmp proto port to from domain daily weekdays
                      weekends once until-restart until-exit provider"
            fi
            ;;
        esac
        ;;
    check | show) ;;
    esac
    if [[ $cmd == check || $cmd == show ]] && [[ $cur != -* ]]; then
        _filedir
        return
    fi
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _ward ward
