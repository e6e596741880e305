// Terminal colour and cursor codes out of text that goes into reports. Playwright's error
// messages carry them (its call log is coloured: `\x1b[2m- waiting for locator(...)\x1b[22m`);
// in report.html and junit.xml they would show as `[2m` garbage, and XML 1.0 cannot even carry
// the escape character.

/**
 * CSI sequences (`ESC [ … letter`, or the one-byte CSI), OSC sequences (`ESC ] … BEL` or
 * `ESC ] … ESC \`, terminal titles and links), and the two-character escapes (`ESC letter`).
 */
const ANSI = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
