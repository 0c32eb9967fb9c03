// Injected into every webview document served by standalone mode, before the page's own scripts:
// the stand-in for Podman Desktop's webview preload. It defines acquirePodmanDesktopApi() (once per
// page load), carries messages over a WebSocket, and dispatches the backend's messages as window
// 'message' events. window.__bootcStudioWebview = { panelId, state } is set just before this runs.
(() => {
  const { panelId } = window.__bootcStudioWebview;
  let state = window.__bootcStudioWebview.state;
  let acquired = false;
  let socket;
  const outbox = [];

  function send(envelope) {
    const text = JSON.stringify(envelope);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
    else outbox.push(text);
  }

  function connect() {
    socket = new WebSocket(`ws://${location.host}/ws/webview/${panelId}`);
    socket.addEventListener('open', () => {
      for (const text of outbox.splice(0)) socket.send(text);
    });
    socket.addEventListener('message', event => {
      const envelope = JSON.parse(event.data);
      if (envelope.kind === 'message') window.dispatchEvent(new MessageEvent('message', { data: envelope.data }));
      else if (envelope.kind === 'reload') location.reload();
    });
    // The backend may restart or the connection drop: come back, as Podman Desktop's IPC does.
    socket.addEventListener('close', () => setTimeout(connect, 1000));
  }
  connect();

  window.acquirePodmanDesktopApi = () => {
    if (acquired) throw new Error('An instance of the Podman Desktop API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: message => send({ kind: 'message', data: message }),
      getState: () => state,
      setState: value => {
        state = value;
        send({ kind: 'state', data: value });
        return Promise.resolve();
      },
    });
  };
})();
