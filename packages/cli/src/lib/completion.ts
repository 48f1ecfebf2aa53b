// Shell completion scripts (bash, zsh): command and topic names, each command's flags, and for a
// pipeline argument the shipped pipeline names plus *.yaml files. Everything is written into the
// script when it is generated, so pressing Tab never starts Node; regenerate after an upgrade.
export interface CompletionCommand {
  /** Space-separated words, e.g. "pipelines list". */
  id: string;
  flags: string[];
  /** What the first positional argument is: a pipeline (names + .yaml files), a shipped name, or a file. */
  arg: 'pipeline' | 'shipped' | 'file';
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function bashScript(commands: CompletionCommand[], pipelines: string[]): string {
  const table = commands.map((c) => `${c.id}|${c.flags.join(' ')}|${c.arg}`).join('\n');
  return `# spx completion for bash. Load it in ~/.bashrc:  eval "$(spx completion bash)"
_spx_commands=${quote(table)}
_spx_pipelines=${quote(pipelines.join(' '))}
_spx() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words=() i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] || words+=("$w")
  done
  local typed="\${words[*]}" id flags arg rest next="" best="" best_flags="" best_arg=""
  while IFS='|' read -r id flags arg; do
    if [[ $typed == "$id" || $typed == "$id "* ]] && (( \${#id} > \${#best} )); then
      best=$id best_flags=$flags best_arg=$arg
    fi
    if [[ -z $typed ]]; then
      next+=" \${id%% *}"
    elif [[ $id == "$typed "* ]]; then
      rest=\${id#"$typed "}
      next+=" \${rest%% *}"
    fi
  done <<< "$_spx_commands"
  COMPREPLY=()
  if [[ -z $best ]]; then
    COMPREPLY=($(compgen -W "$(printf '%s\n' $next | sort -u) --help --version" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$best_flags --help" -- "$cur"))
    return
  fi
  local used=$(( \${#words[@]} - $(wc -w <<< "$best") ))
  if (( used == 0 )) && [[ $best_arg == pipeline || $best_arg == shipped ]]; then
    COMPREPLY=($(compgen -W "$_spx_pipelines" -- "$cur"))
    [[ $best_arg == pipeline ]] && COMPREPLY+=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _spx spx
`;
}

export function zshScript(commands: CompletionCommand[], pipelines: string[]): string {
  return `# spx completion for zsh (through bashcompinit). Load it in ~/.zshrc:  eval "$(spx completion zsh)"
(( $+functions[compdef] )) || { autoload -U compinit && compinit }
autoload -U +X bashcompinit && bashcompinit
${bashScript(commands, pipelines).split('\n').slice(1).join('\n')}`;
}
