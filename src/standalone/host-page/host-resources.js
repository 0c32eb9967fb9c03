// Settings → Resources of standalone mode: the providers the extension created (its VMs), each
// connection with its status, Start / Stop / Delete and a terminal (the connection's shell access),
// and the provider's Create form built from the manifest's VmProviderConnectionFactory properties,
// audited as the user types. host.js hands it the events it does not know and its `send`.
(() => {
  const $ = id => document.getElementById(id);
  const state = { providers: [], fields: [], log: [], audit: [], shell: undefined, busy: new Set() };
  let send = () => undefined;
  // Terminal escape sequences (ESC [ … letter): the stand-in shows plain text.
  const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

  function element(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children.filter(child => child !== undefined));
    return node;
  }

  function button(text, label, onclick, disabled = false) {
    const node = element('button', { type: 'button', textContent: text, disabled });
    node.setAttribute('aria-label', label);
    node.addEventListener('click', onclick);
    return node;
  }

  function render() {
    const popup = $('resources-popup');
    if (!popup) return;
    $('resources-count').textContent = String(state.providers.reduce((n, p) => n + p.connections.length, 0));
    const sections = state.providers.map(provider => {
      const rows = provider.connections.map(connection => {
        const busy = state.busy.has(connection.id);
        const started = connection.status === 'started';
        const row = element(
          'div',
          { className: 'row' },
          element('span', {
            className: 'grow',
            textContent: connection.name,
            title: connection.error ?? connection.name,
          }),
          element('span', { className: 'muted', textContent: busy ? 'working…' : connection.status }),
          started
            ? button('Stop', `Stop ${connection.name}`, () => act(connection, 'stop'), busy)
            : button('Start', `Start ${connection.name}`, () => act(connection, 'start'), busy),
          connection.shell
            ? button('Terminal', `Terminal of ${connection.name}`, () => openShell(connection), !started)
            : undefined,
          button('Delete', `Delete ${connection.name}`, () => act(connection, 'delete'), busy),
        );
        row.setAttribute('aria-label', `Connection ${connection.name}`);
        return row;
      });
      const section = element(
        'section',
        {},
        element('h3', { textContent: `${provider.name} (${provider.status})` }),
        ...(rows.length
          ? rows
          : [element('p', { className: 'muted', textContent: provider.emptyText ?? 'None yet.' })]),
        provider.create ? createForm(provider) : undefined,
      );
      section.setAttribute('aria-label', provider.name);
      return section;
    });
    const log = state.log.length ? element('pre', { className: 'log', textContent: state.log.join('\n') }) : undefined;
    if (log) log.setAttribute('aria-label', 'Resources log');
    popup.replaceChildren(
      ...(sections.length ? sections : [element('p', { className: 'muted', textContent: 'No provider yet.' })]),
      ...(log ? [log] : []),
    );
  }

  function act(connection, action) {
    state.busy.add(connection.id);
    state.log = [`${action} ${connection.name}…`];
    send({ type: 'resource-action', connectionId: connection.id, action });
    render();
  }

  function formValues(form) {
    const params = {};
    for (const field of state.fields) {
      const input = form.querySelector(`[name="${CSS.escape(field.id)}"]`);
      if (!input) continue;
      if (field.type === 'boolean') params[field.id] = input.checked;
      else if (input.value !== '') params[field.id] = field.type === 'number' ? Number(input.value) : input.value;
    }
    return params;
  }

  function createForm(provider) {
    const form = element('form', { className: 'create' });
    form.setAttribute('aria-label', `${provider.create.displayName ?? provider.name}: create`);
    for (const field of state.fields) {
      const input = element('input', {
        name: field.id,
        type: field.type === 'number' ? 'number' : field.type === 'boolean' ? 'checkbox' : 'text',
      });
      if (field.default !== undefined && field.default !== '') input.value = String(field.default);
      input.addEventListener('input', () =>
        send({ type: 'resource-audit', providerId: provider.id, params: formValues(form) }),
      );
      form.append(element('label', {}, element('span', { textContent: field.description }), input));
    }
    const audit = element(
      'ul',
      { className: 'audit' },
      ...state.audit.map(item => element('li', { className: item.type, textContent: item.record })),
    );
    audit.setAttribute('aria-label', 'Checks');
    form.append(audit, element('button', { type: 'submit', className: 'primary', textContent: provider.create.title }));
    form.addEventListener('submit', event => {
      event.preventDefault();
      state.log = [`Creating…`];
      send({ type: 'resource-create', providerId: provider.id, params: formValues(form) });
      render();
    });
    return form;
  }

  function openShell(connection) {
    closeShell();
    const sessionId = `shell-${Date.now()}`;
    const output = element('pre', { className: 'terminal' });
    output.setAttribute('aria-label', `Terminal output of ${connection.name}`);
    const input = element('input', { type: 'text', autocomplete: 'off' });
    input.setAttribute('aria-label', `Terminal input of ${connection.name}`);
    input.addEventListener('keydown', event => {
      if (event.key !== 'Enter') return;
      send({ type: 'shell-input', sessionId, data: `${input.value}\r` });
      input.value = '';
    });
    const panel = element(
      'section',
      { className: 'shell' },
      element('h3', { textContent: `Terminal: ${connection.name}` }),
      output,
      input,
      button('Close', `Close the terminal of ${connection.name}`, closeShell),
    );
    panel.setAttribute('aria-label', `Terminal of ${connection.name}`);
    document.body.append(panel);
    state.shell = { sessionId, output, panel };
    send({ type: 'shell-open', connectionId: connection.id, sessionId });
    input.focus();
  }

  function closeShell() {
    if (!state.shell) return;
    send({ type: 'shell-close', sessionId: state.shell.sessionId });
    state.shell.panel.remove();
    state.shell = undefined;
  }

  window.hostResources = (event, hostSend) => {
    send = hostSend;
    switch (event.type) {
      case 'resources':
        state.providers = event.providers;
        state.fields = event.fields;
        for (const id of [...state.busy])
          if (!event.providers.some(p => p.connections.some(c => c.id === id))) state.busy.delete(id);
        break;
      case 'resource-log':
        state.log.push(event.line);
        break;
      case 'resource-done':
        if (event.connectionId) state.busy.delete(event.connectionId);
        state.log.push(event.error ? `${event.action} failed: ${event.error}` : `${event.action}: done`);
        break;
      case 'resource-audit':
        state.audit = event.records;
        break;
      case 'shell-data':
        // The terminal stand-in shows text; escape sequences are left out.
        if (state.shell?.sessionId === event.sessionId)
          state.shell.output.textContent += event.data.replace(ESCAPES, '');
        return;
      case 'shell-end':
        if (state.shell?.sessionId === event.sessionId)
          state.shell.output.textContent += `\n[session ended${event.error ? `: ${event.error}` : ''}]\n`;
        return;
      default:
        return;
    }
    // A form being typed in keeps its values: only the list and the checks are redrawn then.
    const active = document.activeElement;
    if (active && $('resources-popup')?.contains(active) && active.closest('form')) {
      const form = active.closest('form');
      form
        .querySelector('.audit')
        ?.replaceChildren(
          ...state.audit.map(item => element('li', { className: item.type, textContent: item.record })),
        );
      return;
    }
    render();
  };
})();
