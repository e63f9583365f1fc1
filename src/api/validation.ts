import { ArgumentsHost, BadRequestException, Catch, ExceptionFilter, HttpException, ValidationError, ValidationPipe } from '@nestjs/common';
import type { Response } from 'express';
import { componentLog } from '../observability/logger';

/** One problem with a request field. */
export interface FieldError {
  field: string;
  message: string;
}

/** The 400 body for any bad request: `{error: "validation_failed", details: [{field, message}]}`. */
export class ValidationFailed extends BadRequestException {
  constructor(readonly details: FieldError[]) {
    super({ error: 'validation_failed', details });
  }
}

export function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) =>
      message.startsWith('property ') ? { field, message: `unknown field ${field}` } : { field, message },
    );
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Strict DTO validation: unknown fields are refused, every problem is listed. */
export const strictValidationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: true,
  exceptionFactory: (errors) => new ValidationFailed(flatten(errors)),
});

/** Answers HttpExceptions with their own body and anything else with a logged 500. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      response.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    componentLog('http').error(`unhandled error: ${(exception as Error)?.stack ?? String(exception)}`);
    response.status(500).json({ error: 'internal_error' });
  }
}
