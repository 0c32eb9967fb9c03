/** What the last delete left behind and why, shown by the Disk Images page (the details page navigates there). */
export const deleteNotice: { text: string | undefined } = $state({ text: undefined });
