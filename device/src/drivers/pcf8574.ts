// The PCF8574 I2C port expander as a byte writer: every byte written sets its eight outputs.
import type { I2cWrite } from '../hal.js';

/** Writes bytes to the expander's outputs in order; throws when the chip does not answer. */
export type ByteWriter = (bytes: Uint8Array | number[]) => void;

/** The usual address of an HD44780 backpack (0x3F on the PCF8574A variant). */
export const PCF8574_DEFAULT_ADDRESS = 0x27;

export function connectPcf8574(i2cWrite: I2cWrite, addr: number): ByteWriter {
  return (bytes) => {
    i2cWrite(addr, bytes);
  };
}
