import { stripAnsi } from '../src/ansi';

describe('stripAnsi(text)', () => {
  it('removes colour, cursor and title codes and keeps the text', () => {
    const message = 'Timeout 1500ms exceeded.\nCall log:\n  \u001b[2m- waiting for locator(\'[data-testid="buy-now"]\')\u001b[22m\n\u001b[31;1mred\u001b[0m \u001b[2K\u001b]0;title\u0007done \u009b1mx';
    expect(stripAnsi(message)).toBe('Timeout 1500ms exceeded.\nCall log:\n  - waiting for locator(\'[data-testid="buy-now"]\')\nred done x');
  });
});
