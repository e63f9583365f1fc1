import {
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

/** A ws:// or wss:// URL whose query has roomId and peerId. */
@ValidatorConstraint({ name: 'protooUrl' })
export class ProtooUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value);
      return (url.protocol === 'ws:' || url.protocol === 'wss:') && !!url.searchParams.get('roomId') && !!url.searchParams.get('peerId');
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'ws_url must be a ws:// or wss:// URL with roomId and peerId in its query';
  }
}

/** An http:// or https:// URL without credentials. */
@ValidatorConstraint({ name: 'httpUrl' })
export class HttpUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }

  defaultMessage(args?: ValidationArguments): string {
    return `${args?.property ?? 'value'} must be an http:// or https:// URL without credentials`;
  }
}

/** POST /join-call body, as the 2060 controller sends it (snake_case). */
export class JoinCallRequestDto {
  @Validate(ProtooUrlConstraint)
  ws_url!: string;

  @Validate(HttpUrlConstraint)
  callback_base_url!: string;

  @IsOptional()
  @Validate(HttpUrlConstraint)
  datastore_base_url?: string;

  @IsString()
  @MinLength(1, { message: 'token must not be empty' })
  @MaxLength(256, { message: 'token must be at most 256 characters' })
  @Matches(/^[^\u0000-\u001f\u007f]+$/, { message: 'token must not contain control characters' })
  token!: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z]{2}$/, { message: 'lang must be a two-letter ISO 639-1 code' })
  lang?: string;
}

/** 202 answer of POST /join-call. */
export interface JoinCallResponse {
  flow_id: string;
  token: string;
  status: 'accepted';
  lang: string;
  challenges: string[];
  /** Present when the requested language is not shipped. */
  notice?: string;
}
