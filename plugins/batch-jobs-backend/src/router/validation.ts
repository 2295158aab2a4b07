import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** Parses with zod and turns the first issues into one clear InputError. */
export function parse<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map(i => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${issues}`);
  }
  return result.data;
}

const single = z.string({ invalid_type_error: 'must be given once' });

export const vpcParam = single.min(1, 'is required').max(100);
export const jobParam = single.min(1, 'is required').max(1000);
export const positiveInt = single
  .regex(/^\d+$/, 'must be a positive integer')
  .transform(Number)
  .refine(n => Number.isSafeInteger(n) && n > 0, 'must be a positive integer');
export const nonNegativeInt = single
  .regex(/^\d+$/, 'must be a non-negative integer')
  .transform(Number)
  .refine(n => Number.isSafeInteger(n), 'is too large');
