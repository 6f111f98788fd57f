// Column definitions shared by the built-in printers.
import type { ColumnDefinition } from './resources.js';

export const col = (name: string, type = 'string', priority = 0, format?: string): ColumnDefinition => ({
  name,
  type,
  ...(format ? { format } : {}),
  description: name,
  priority,
});
export const NAME = col('Name', 'string', 0, 'name');
export const AGE = col('Age');
