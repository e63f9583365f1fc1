import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** POST /face_match body, as io2060/vision-matcher takes it. */
export class FaceMatchRequestDto {
  @ApiProperty({ description: 'data:image/...;base64 URL or http(s) URL of the first image' })
  image1_url!: string;

  @ApiProperty({ description: 'data:image/...;base64 URL or http(s) URL of the second image' })
  image2_url!: string;
}

/** POST /face_match answer, as io2060/vision-matcher gives it. */
export class FaceMatchResponseDto {
  @ApiProperty({ description: 'Cosine distance of the two largest faces; 1 when a face is missing' })
  distance!: number;

  @ApiProperty()
  match!: boolean;

  @ApiPropertyOptional()
  requestId?: string;

  @ApiPropertyOptional({ example: 'No faces detected in one or both images.' })
  error?: string;
}
