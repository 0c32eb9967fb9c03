// The host page of standalone mode: Podman Desktop's chrome around the extension's webview — the
// webview itself (an iframe), the tasks of withProgress, toasts for messages and notifications,
// path prompts for open/save dialogs, and the image context-menu actions of contributes.menus.
(() => {
  const $ = id => document.getElementById(id);
  const state = { panels: [], shownPanel: undefined, tasks: new Map(), toasts: new Map(), dialogs: [] };
  let socket;

  function send(command) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
  }

  function connect() {
    socket = new WebSocket(`ws://${location.host}/ws/host`);
    socket.addEventListener('message', event => handle(JSON.parse(event.data)));
    socket.addEventListener('close', () => setTimeout(connect, 1000));
  }

  function handle(event) {
    switch (event.type) {
      case 'snapshot':
        state.tasks = new Map(event.tasks.map(task => [task.id, task]));
        for (const id of [...state.toasts.keys()]) removeToast(id);
        event.toasts.forEach(addToast);
        state.dialogs = event.dialogs;
        showPanels(event.panels, event.shownPanel);
        renderTasks();
        nextDialog();
        break;
      case 'panels':
        showPanels(event.panels, event.shownPanel);
        break;
      case 'task':
        state.tasks.set(event.task.id, event.task);
        renderTasks();
        break;
      case 'toast':
        addToast(event.toast);
        break;
      case 'toast-closed':
        removeToast(event.id);
        break;
      case 'dialog':
        state.dialogs.push(event.dialog);
        nextDialog();
        break;
      case 'dialog-closed':
        state.dialogs = state.dialogs.filter(dialog => dialog.id !== event.id);
        if ($('path-dialog').dataset.id === event.id) $('path-dialog').close();
        nextDialog();
        break;
      case 'menu-targets':
        renderMenuTargets(event.targets, event.error);
        break;
      case 'open-url':
        if (/^https?:\/\//.test(event.url)) window.open(event.url, '_blank', 'noopener');
        break;
      default:
        // Settings → Resources (host-resources.js).
        window.hostResources?.(event, send);
    }
  }

  // Webviews ---------------------------------------------------------------------------------
  function showPanels(panels, shownPanel) {
    state.panels = panels;
    const nav = $('panels');
    nav.replaceChildren(
      ...panels.map(panel => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = panel.title;
        if (panel.id === shownPanel) button.setAttribute('aria-current', 'page');
        button.addEventListener('click', () => send({ type: 'show-panel', panelId: panel.id }));
        return button;
      }),
    );
    const frame = $('webview');
    $('no-webview').hidden = Boolean(shownPanel);
    frame.hidden = !shownPanel;
    const shown = panels.find(panel => panel.id === shownPanel);
    if (shown) frame.title = `Webview ${shown.title}`;
    // Like Podman Desktop, a webview that is not shown is unloaded; showing it loads it afresh.
    if (shownPanel !== state.shownPanel) frame.src = shownPanel ? `/webview/${shownPanel}/` : 'about:blank';
    state.shownPanel = shownPanel;
  }

  // Popups ------------------------------------------------------------------------------------
  function togglePopup(button, popup, open) {
    const show = open ?? popup.hidden;
    popup.hidden = !show;
    button.setAttribute('aria-expanded', String(show));
    return show;
  }

  for (const [buttonId, popupId] of [
    ['image-actions', 'image-actions-popup'],
    ['tasks', 'tasks-popup'],
    ['resources', 'resources-popup'],
  ]) {
    const button = $(buttonId);
    const popup = $(popupId);
    button.addEventListener('click', () => {
      if (togglePopup(button, popup) && buttonId === 'image-actions') {
        popup.replaceChildren(paragraph('Loading images…', 'muted'));
        send({ type: 'menu-targets' });
      }
    });
    popup.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        togglePopup(button, popup, false);
        button.focus();
      }
    });
  }

  function paragraph(text, className) {
    const p = document.createElement('p');
    p.textContent = text;
    if (className) p.className = className;
    return p;
  }

  function renderMenuTargets(targets, error) {
    const popup = $('image-actions-popup');
    if (error) return popup.replaceChildren(paragraph(`Cannot list images: ${error}`));
    if (targets.length === 0)
      return popup.replaceChildren(paragraph('No image has an action of this extension.', 'muted'));
    popup.replaceChildren(
      ...targets.map(target => {
        const row = document.createElement('div');
        row.className = 'row';
        const label = document.createElement('span');
        label.className = 'grow';
        label.textContent = target.label;
        label.title = target.label;
        row.append(label);
        for (const action of target.actions) {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = action.title;
          button.setAttribute('aria-label', `${action.title} ${target.label}`);
          button.addEventListener('click', () => {
            send({ type: 'menu-run', targetId: target.id, command: action.command });
            togglePopup($('image-actions'), popup, false);
          });
          row.append(button);
        }
        return row;
      }),
    );
    popup.querySelector('button')?.focus();
  }

  // Tasks -------------------------------------------------------------------------------------
  function renderTasks() {
    const tasks = [...state.tasks.values()].sort((a, b) => b.started - a.started);
    $('tasks-count').textContent = String(tasks.filter(task => task.state === 'running').length);
    const popup = $('tasks-popup');
    if (tasks.length === 0) return popup.replaceChildren(paragraph('No tasks yet.', 'muted'));
    popup.replaceChildren(
      ...tasks.map(task => {
        const row = document.createElement('div');
        row.className = 'row task';
        row.dataset.state = task.state;
        const body = document.createElement('div');
        body.className = 'grow';
        const title = document.createElement('div');
        title.textContent = task.title;
        const detail = document.createElement('div');
        detail.className = 'muted';
        detail.textContent =
          task.state === 'running'
            ? (task.message ?? 'Running…')
            : task.state === 'failed'
              ? `Failed: ${task.error ?? ''}`
              : task.state;
        body.append(title, detail);
        if (task.state === 'running') {
          const bar = document.createElement('progress');
          bar.max = 100;
          if (task.percent !== undefined) bar.value = task.percent;
          bar.setAttribute('aria-label', `${task.title} progress`);
          body.append(bar);
        }
        row.append(body);
        if (task.state === 'running' && task.cancellable) {
          const cancel = document.createElement('button');
          cancel.type = 'button';
          cancel.textContent = 'Cancel';
          cancel.setAttribute('aria-label', `Cancel ${task.title}`);
          cancel.addEventListener('click', () => send({ type: 'task-cancel', id: task.id }));
          row.append(cancel);
        }
        return row;
      }),
    );
  }

  // Toasts ------------------------------------------------------------------------------------
  function addToast(toast) {
    if (state.toasts.has(toast.id)) return;
    const element = document.createElement('div');
    element.className = `toast ${toast.kind}`;
    element.setAttribute('role', toast.kind === 'error' ? 'alert' : 'status');
    if (toast.title)
      element.append(Object.assign(document.createElement('div'), { className: 'title', textContent: toast.title }));
    element.append(Object.assign(document.createElement('div'), { className: 'text', textContent: toast.message }));
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const action of toast.actions) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action;
      button.addEventListener('click', () => send({ type: 'toast-action', id: toast.id, action }));
      actions.append(button);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = toast.actions.length ? 'Dismiss' : 'Close';
    close.setAttribute('aria-label', `Dismiss: ${toast.message}`);
    close.addEventListener('click', () => send({ type: 'toast-action', id: toast.id }));
    actions.append(close);
    element.append(actions);
    $('toasts').append(element);
    state.toasts.set(toast.id, element);
    // News closes by itself (the server decides how soon); errors and questions stay. The clock
    // stops while the pointer or the keyboard focus is on the toast, so its button can be reached.
    if (typeof toast.closeAfterMs === 'number') closeLater(element, toast.id, toast.closeAfterMs);
  }

  function closeLater(element, id, delay) {
    let timer;
    let left = delay;
    let since = 0;
    const start = () => {
      since = Date.now();
      timer = setTimeout(() => send({ type: 'toast-action', id }), left);
    };
    const pause = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      left = Math.max(1000, left - (Date.now() - since));
    };
    const resume = () => {
      if (timer === undefined && !element.matches(':hover') && !element.contains(document.activeElement)) start();
    };
    element.addEventListener('mouseenter', pause);
    element.addEventListener('focusin', pause);
    element.addEventListener('mouseleave', resume);
    element.addEventListener('focusout', () => setTimeout(resume));
    start();
  }

  function removeToast(id) {
    state.toasts.get(id)?.remove();
    state.toasts.delete(id);
  }

  // Path dialogs ------------------------------------------------------------------------------
  const dialog = $('path-dialog');
  function nextDialog() {
    if (dialog.open || state.dialogs.length === 0) return;
    const next = state.dialogs[0];
    dialog.dataset.id = next.id;
    $('path-dialog-title').textContent = next.title;
    $('path-dialog-label').textContent = next.label;
    $('path-dialog-hint').textContent =
      next.kind === 'save'
        ? 'Standalone mode asks for a path on the machine running Bootc Studio.'
        : `Enter the path of ${next.folders ? 'a folder' : next.multiple ? 'one or more files, separated by new lines' : 'a file'} on the machine running Bootc Studio.`;
    const input = $('path-dialog-input');
    input.value = next.defaultPath ?? '';
    dialog.showModal();
    input.focus();
  }
  function answer(value) {
    const id = dialog.dataset.id;
    if (!id) return;
    delete dialog.dataset.id;
    dialog.close();
    send({ type: 'dialog-answer', id, value });
  }
  dialog.querySelector('form').addEventListener('submit', event => {
    event.preventDefault();
    answer($('path-dialog-input').value);
  });
  $('path-dialog-cancel').addEventListener('click', () => answer(undefined));
  dialog.addEventListener('cancel', event => {
    event.preventDefault();
    answer(undefined);
  });

  // Theme -------------------------------------------------------------------------------------
  $('theme').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
    document.cookie = `bootc_studio_theme=${next}; SameSite=Strict; Path=/`;
    location.reload();
  });

  connect();
})();
