// Files imported as text (`./host-page/host.js?raw`); Vite and Vitest inline them.
declare module '*?raw' {
  const text: string;
  export default text;
}
