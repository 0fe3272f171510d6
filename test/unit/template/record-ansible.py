#!/usr/bin/python3
"""Records what ansible-core itself renders for every case in
ansible-cases.input.json into ansible-2.14-cases.json, the expectations of
ansible-compat.test.ts. Run by hand after `apt-get install -y ansible`
(Debian 12: ansible-core 2.14); the unit tests never need Ansible.

  kind inline: Templar.template (task arguments)
  kind file:   the template module's do_template (trim_blocks, preserve_trailing_newlines, no backslash escaping)
  kind cond:   Conditional (when:)
"""
import json, os, sys
from ansible import __version__ as ansible_version
from ansible.template import Templar, AnsibleEnvironment
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.conditional import Conditional

here = os.path.dirname(os.path.abspath(__file__))
spec = json.load(open(os.path.join(here, 'ansible-cases.input.json')))
out = []
for case in spec['cases']:
    variables = dict(spec['baseVars'])
    variables.update(case.get('vars', {}))
    templar = Templar(loader=DataLoader(), variables=variables)
    entry = dict(case)
    try:
        if case['kind'] == 'inline':
            result = templar.template(case['template'])
        elif case['kind'] == 'file':
            env = templar.copy_with_new_env(environment_class=AnsibleEnvironment, trim_blocks=True, lstrip_blocks=False)
            result = env.do_template(case['template'], preserve_trailing_newlines=True, escape_backslashes=False)
        else:
            cond = Conditional(loader=DataLoader())
            cond.when = [case['template']]
            result = cond.evaluate_conditional(templar, variables)
        entry['ansible'] = result if isinstance(result, (str, int, float, bool, list, dict, type(None))) else str(result)
    except Exception as ex:
        entry['ansibleError'] = str(ex).split('\n')[0]
    out.append(entry)
json.dump({'recordedWith': 'ansible-core ' + ansible_version, 'baseVars': spec['baseVars'], 'cases': out},
          open(os.path.join(here, 'ansible-2.14-cases.json'), 'w'), indent=1, ensure_ascii=False)
print(len(out), 'cases recorded', file=sys.stderr)
